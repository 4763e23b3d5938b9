// A real gRPC server for grpc.health.v1 (grpc-js through triad's serve()), started by
// grpc-probe.serial.test.ts inside a pod's network namespace (nsenter --net) because the stack's
// busybox image has no gRPC server. Check answers NOT_SERVING while FILE exists, else SERVING;
// another service name is NOT_FOUND. Not a test: run as `node --import tsx … PORT FILE`.
import { existsSync } from 'node:fs';
import { HealthCheckResponse_ServingStatus as Serving, HealthDefinition } from '../../interfaces/gen/grpc/health/v1/health.js';
import { notFound } from '../../interfaces/grpc/errors.js';
import { bind, serve } from '../../interfaces/grpc/server.js';

const [port, file] = process.argv.slice(2);
const server = await serve(`0.0.0.0:${port}`, [
  bind(HealthDefinition, {
    async check(req) {
      if (req.service !== '') throw notFound('unknown service');
      return { status: existsSync(file) ? Serving.NOT_SERVING : Serving.SERVING };
    },
  }),
]);
console.log(`serving grpc.health.v1 on :${port}`);
const stop = () => {
  void server.close(500).then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
