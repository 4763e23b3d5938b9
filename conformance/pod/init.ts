// Init containers across the harness and CRI: they ran strictly one after the other, in order,
// before any app container — seen from inside (each appends to a shared volume) and from the
// runtime (ContainerStatus startedAt/finishedAt) — and a failing one stops the pod.
import type { Pod } from '../../harness/api/types.js';
import { POD_UID } from '../../harness/kubelet/labels.js';
import { ContainerState } from '../../interfaces/gen/cri/api.js';
import { expectEqual, expectOk, expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { RULES, type PodEnv, PodKit } from './kit.js';

const G = 'pod.Init';
const c = defineCases(PodKit, G);
const INITS = ['init-1', 'init-2', 'init-3'];

async function initPod(k: PodKit, pause: string): Promise<Pod> {
  const mounts = [{ name: 'work', mountPath: '/work' }];
  const pod = await k.run({
    label: 'init',
    volumes: [{ name: 'work', emptyDir: {} }],
    initContainers: INITS.map((n) => ({ name: n, mounts, script: `echo "${n} start" >> /work/log; sleep ${pause}; echo "${n} end" >> /work/log` })),
    containers: [{ name: 'app', mounts, script: 'echo "app start" >> /work/log; cat /work/log; sleep 3600' }],
  });
  await k.running(pod.metadata.name);
  return pod;
}

const ns = (t: bigint) => Number(t / 1_000_000n);
const iso = (t: bigint) => (t > 0n ? new Date(ns(t)).toISOString() : 'unset');

export const initCases: CaseDef<PodEnv>[] = [
  c({
    id: 'pod.init.sequential-seen-in-volume',
    name: 'Init containers ran one at a time, in order, before the app container (each appends start/end lines to a shared volume)',
    async run(k) {
      const pod = await initPod(k, '0.3');
      const log = await k.waitLog(pod.metadata.name, 'app', /app start/, 'the app container never printed the shared log', RULES.initOrder);
      const lines = log
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^(init-\d|app) (start|end)$/.test(l));
      const expected = [...INITS.flatMap((n) => [`${n} start`, `${n} end`]), 'app start'];
      expectEqual(lines, expected, {
        rule: RULES.initOrder,
        what: "the order in which the pod's containers started and ended (as they wrote it to the volume)",
      });
    },
  }),
  c({
    id: 'pod.init.sequential-cri-timestamps',
    name: 'CRI ContainerStatus of the init containers: each exited 0 and started after the previous one finished; the app started after the last',
    async run(k) {
      const pod = await initPod(k, '0.1');
      let prev: { name: string; finishedAt: bigint } | undefined;
      for (const n of INITS) {
        const st = await k.containerStatus(pod, n);
        expectEqual(st.state, ContainerState.CONTAINER_EXITED, { rule: RULES.initTimes, what: `CRI state of ${n}`, call: k.ctx.lastCall });
        expectEqual(st.exitCode, 0, { rule: RULES.exitCode, what: `CRI exit_code of ${n}`, call: k.ctx.lastCall });
        expectTrue(st.startedAt > 0n && st.finishedAt >= st.startedAt, `${n}: startedAt ${iso(st.startedAt)}, finishedAt ${iso(st.finishedAt)}`, {
          rule: RULES.initTimes,
          call: k.ctx.lastCall,
        });
        if (prev) {
          expectTrue(st.startedAt >= prev.finishedAt, `${n} started at ${iso(st.startedAt)}, before ${prev.name} finished at ${iso(prev.finishedAt)}`, {
            rule: RULES.initOrder,
            call: k.ctx.lastCall,
          });
        }
        prev = { name: n, finishedAt: st.finishedAt };
      }
      const app = await k.containerStatus(pod, 'app');
      expectTrue(
        app.startedAt >= prev!.finishedAt,
        `the app container started at ${iso(app.startedAt)}, before ${prev!.name} finished at ${iso(prev!.finishedAt)}`,
        { rule: RULES.initOrder, call: k.ctx.lastCall },
      );
    },
  }),
  c({
    id: 'pod.init.failure-blocks-app',
    name: 'restartPolicy Never: a failing init container fails the pod, the next init container and the app container are never created',
    async run(k) {
      const pod = await k.run({
        label: 'initfail',
        restartPolicy: 'Never',
        initContainers: [
          { name: 'init-1', script: 'echo failing; exit 7' },
          { name: 'init-2', script: 'true' },
        ],
        containers: [{ name: 'app', script: 'sleep 3600' }],
      });
      const p = await k.waitFor(pod.metadata.name, (x) => x.status?.phase === 'Failed', 'Failed');
      const s = p.status?.initContainerStatuses?.find((x) => x.name === 'init-1');
      expectEqual(s?.state.terminated?.exitCode, 7, { rule: RULES.exitCode, what: 'init-1 state.terminated.exitCode' });
      const st = await k.containerStatus(pod, 'init-1');
      expectEqual(st.exitCode, 7, { rule: RULES.exitCode, what: 'CRI exit_code of init-1', call: k.ctx.lastCall });
      const list = await expectOk(k.cri.listContainers({ filter: { labelSelector: { [POD_UID]: pod.metadata.uid! } } }), {
        rule: 'CRI ListContainers MUST answer OK',
      });
      const names = list.containers.map((x) => x.metadata?.name ?? '');
      expectTrue(
        !names.includes('app') && !names.includes('init-2'),
        `the runtime has containers ${names.join(', ')} for the pod: something after the failed init-1 was created`,
        { rule: RULES.initFailure, call: k.ctx.lastCall, actual: names },
      );
    },
  }),
];
