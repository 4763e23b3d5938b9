// kubelet's gRPC probe (Kubernetes ≥ 1.24): grpc.health.v1.Health/Check on the pod's address and
// the probe's port, with the probe's service name; SERVING is success, any other status, error
// or a call not done within timeoutSeconds is failure. Messages read like kubelet's.
import { connect } from '../../interfaces/grpc/client.js';
import { RpcError, Status } from '../../interfaces/grpc/errors.js';
import { HealthCheckResponse_ServingStatus as Serving, HealthDefinition, healthCheckResponse_ServingStatusToJSON } from '../../interfaces/gen/grpc/health/v1/health.js';

export interface GrpcProbeOutcome { ok: boolean; message: string }

export async function grpcProbe(host: string, port: number, service: string, timeoutS: number): Promise<GrpcProbeOutcome> {
  const addr = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const timeoutMs = timeoutS * 1000;
  const deadline = Date.now() + timeoutMs;
  const conn = connect(addr, { timeoutMs });
  try {
    try {
      await conn.waitForReady(timeoutMs);
    } catch (e) {
      return { ok: false, message: `timeout: failed to connect service "${addr}" within ${timeoutS}s: ${(e as Error).message}` };
    }
    try {
      const res = await conn.service(HealthDefinition).check({ service }, { timeoutMs: Math.max(1, deadline - Date.now()) });
      if (res.status !== Serving.SERVING) return { ok: false, message: `service unhealthy (responded with "${healthCheckResponse_ServingStatusToJSON(res.status)}")` };
      return { ok: true, message: 'SERVING' };
    } catch (e) {
      if (!(e instanceof RpcError)) throw e;
      if (e.code === Status.UNIMPLEMENTED) return { ok: false, message: `this server does not implement the grpc health protocol (grpc.health.v1.Health): ${e.details}` };
      if (e.code === Status.DEADLINE_EXCEEDED) return { ok: false, message: `timeout: health rpc did not complete within ${timeoutS}s` };
      return { ok: false, message: `error: health rpc probe failed: rpc error: code = ${goCode(e.codeName)} desc = ${e.details}` };
    }
  } finally {
    conn.close();
  }
}

/** NOT_FOUND → NotFound, as Go's codes.Code prints. */
const goCode = (name: string) => name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _u: string, ch: string) => ch.toUpperCase());
