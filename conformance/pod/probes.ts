// Probes as the kubelet runs them against the pod: a gRPC readiness probe (grpc.health.v1
// Check on the pod IP and port) decides whether the container, and so the pod, is Ready.
// The pod serves the health service with the `grpc-health` program (memory-cri's busybox has
// it; a real busybox image has no gRPC server, so there the case is not applicable).
import type { Pod } from '../../harness/api/types.js';
import { expectEqual, expectSome } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { CAP, NS, type PodEnv, PodKit } from './kit.js';

const G = 'pod.Probes';
const c = defineCases(PodKit, G);

const GRPC_READY =
  "kubelet's gRPC probe calls grpc.health.v1.Health/Check on the pod IP and the probe's port: only SERVING is success; while the readiness probe fails the container is not ready and the pod's Ready and ContainersReady conditions are False, once it succeeds they are True";
const GRPC_PORT = 50051;
const NOT_SERVING = '/tmp/health-not-serving';

const cond = (p: Pod, t: string) => p.status?.conditions.find((x) => x.type === t)?.status;
const appReady = (p: Pod) => p.status?.containerStatuses?.find((x) => x.name === 'app')?.ready;

export const probeCases: CaseDef<PodEnv>[] = [
  c({
    id: 'pod.probes.grpc-readiness',
    name: 'A gRPC readiness probe gates Ready: NOT_SERVING keeps the container and the pod not Ready (kubelet\'s "service unhealthy" event), SERVING makes them Ready, NOT_SERVING again takes Ready away',
    needs: [CAP.network],
    async run(k) {
      const script = `if ! which grpc-health >/dev/null 2>&1; then echo 'no grpc-health program in this image' >&2; exit 127; fi; touch ${NOT_SERVING}; exec grpc-health -p ${GRPC_PORT}`;
      const pod = await k.run({
        label: 'grpc-ready',
        restartPolicy: 'Never',
        containers: [
          {
            name: 'app',
            script,
            extra: { ports: [{ containerPort: GRPC_PORT }], readinessProbe: { grpc: { port: GRPC_PORT }, periodSeconds: 1, failureThreshold: 1 } },
          },
        ],
      });
      const name = pod.metadata.name;
      const app = (p: Pod) => p.status?.containerStatuses?.find((x) => x.name === 'app');
      const unhealthy = () =>
        k.kubelet.events(NS, name).some((e) => /Readiness probe failed: service unhealthy \(responded with "NOT_SERVING"\)/.test(e.message));
      // the probe reached the server and got NOT_SERVING, or the container ended (no server in the image)
      const seen = await k.waitFor(
        name,
        (p) => !!app(p)?.state.terminated || (!!app(p)?.state.running && unhealthy()),
        'a failed readiness probe answered NOT_SERVING',
      );
      const term = app(seen)?.state.terminated;
      if (term?.exitCode === 127) {
        const logs = (await k.logs(name, 'app')).trim();
        k.ctx.notApplicable(
          `image ${k.env.image} has no gRPC health server (the grpc-health program memory-cri's busybox has)${logs ? `: ${logs}` : ''}; the case needs an image serving grpc.health.v1 on port ${GRPC_PORT}`,
        );
      }
      expectEqual(term, undefined, { rule: GRPC_READY, what: 'the state of the container serving grpc.health.v1 (it must keep running)' });
      const id = app(seen)!.containerID!.replace(/^[a-z0-9.-]+:\/\//, '');
      const notYet = k.get(name);
      expectEqual(appReady(notYet), false, { rule: GRPC_READY, what: 'containerStatuses[app].ready while NOT_SERVING' });
      expectEqual(cond(notYet, 'ContainersReady'), 'False', { rule: GRPC_READY, what: 'condition ContainersReady while NOT_SERVING' });
      expectEqual(cond(notYet, 'Ready'), 'False', { rule: GRPC_READY, what: 'condition Ready while NOT_SERVING' });
      expectSome(k.kubelet.events(NS, name), (e) => e.reason === 'Unhealthy', 'no Unhealthy event for the failed readiness probe', { rule: GRPC_READY });

      const rm = await k.exec(id, ['rm', '-f', NOT_SERVING]);
      expectEqual(rm.exitCode, 0, { rule: 'CRI ExecSync runs the command in the container', what: `exit code of rm -f ${NOT_SERVING}` });
      const ready = await k.waitFor(name, (p) => cond(p, 'Ready') === 'True', 'Ready once SERVING');
      expectEqual(appReady(ready), true, { rule: GRPC_READY, what: 'containerStatuses[app].ready once SERVING' });
      expectEqual(cond(ready, 'ContainersReady'), 'True', { rule: GRPC_READY, what: 'condition ContainersReady once SERVING' });

      await k.exec(id, ['touch', NOT_SERVING]);
      const again = await k.waitFor(name, (p) => cond(p, 'Ready') === 'False', 'not Ready once NOT_SERVING again');
      expectEqual(appReady(again), false, { rule: GRPC_READY, what: 'containerStatuses[app].ready after NOT_SERVING again' });
      expectEqual(again.status?.phase, 'Running', { rule: GRPC_READY, what: 'the phase (readiness never stops a container)' });
    },
  }),
];
