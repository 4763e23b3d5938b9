// Pod lifecycle as the harness reports it, checked against the runtime: phases and conditions of a
// run-to-completion pod, exit codes, restarts under restartPolicy Always (restartCount and the
// runtime's attempt numbers), and the sandbox of a completed pod stopped.
import type { Pod, PodPhase } from '../../harness/api/types.js';
import { POD_UID } from '../../harness/kubelet/labels.js';
import { ContainerState, PodSandboxState } from '../../interfaces/gen/cri/api.js';
import { expectEqual, expectOk, expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { NS, RULES, type PodEnv, PodKit } from './kit.js';

const G = 'pod.Lifecycle';
const c = defineCases(PodKit, G);

const cond = (p: Pod, t: string) => p.status?.conditions.find((x) => x.type === t);

/** Record every phase the pod shows (on each change the kubelet announces, and every 20 ms). */
const RUNNING_CONDS = ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready'];

function watchPhases(k: PodKit, name: string): { phases: PodPhase[]; running?: Pod; ready?: Pod } {
  const out: { phases: PodPhase[]; running?: Pod; ready?: Pod } = { phases: [] };
  const look = () => {
    let p: Pod;
    try {
      p = k.get(name);
    } catch {
      return;
    }
    const ph = p.status?.phase;
    if (ph && out.phases.at(-1) !== ph) out.phases.push(ph);
    if (ph === 'Running' && !out.running) out.running = p;
    if (ph === 'Running' && !out.ready && RUNNING_CONDS.every((t) => cond(p, t)?.status === 'True')) out.ready = p;
  };
  const off = k.kubelet.onChange((w) => {
    if (w.key === `${NS}/${name}`) look();
  });
  const timer = setInterval(look, 20);
  look();
  k.ctx.cleanup(() => {
    off();
    clearInterval(timer);
  }, 'stop watching phases');
  return out;
}

const ORDER: PodPhase[] = ['Pending', 'Running', 'Succeeded', 'Failed'];

export const lifecycleCases: CaseDef<PodEnv>[] = [
  c({
    id: 'pod.lifecycle.run-to-completion',
    name: 'A run-to-completion pod goes Pending → Running → Succeeded with matching conditions; the runtime reports exit 0 and a stopped sandbox',
    async run(k) {
      const pod = await k.run({
        label: 'complete',
        restartPolicy: 'Never',
        initContainers: [{ name: 'init', script: 'echo init' }],
        containers: [{ name: 'app', script: 'sleep 1; echo done' }],
      });
      const w = watchPhases(k, pod.metadata.name);
      const end = await k.waitFor(pod.metadata.name, (p) => ['Succeeded', 'Failed'].includes(p.status?.phase ?? ''), 'Succeeded');
      const phases = [...w.phases];
      if (phases.at(-1) !== end.status?.phase) phases.push(end.status!.phase!);
      k.ctx.log(`phases seen: ${phases.join(' → ')}`);
      expectEqual(end.status?.phase, 'Succeeded', { rule: RULES.phases, what: 'the final phase' });
      expectTrue(phases.includes('Running'), `the pod was never seen Running: ${phases.join(' → ')}`, { rule: RULES.phases, actual: phases });
      for (let i = 1; i < phases.length; i++) {
        expectTrue(ORDER.indexOf(phases[i]) > ORDER.indexOf(phases[i - 1]), `the phase went back: ${phases.join(' → ')}`, {
          rule: RULES.phases,
          actual: phases,
        });
      }
      // a container can be running a moment before it counts as ready: some moment of Running has every condition True
      const r = w.ready;
      expectTrue(
        r !== undefined,
        `while Running the pod never had ${RUNNING_CONDS.join(', ')} all True (first seen Running with ${RUNNING_CONDS.map((t) => `${t}=${cond(w.running!, t)?.status}`).join(', ')})`,
        { rule: RULES.phases, actual: w.running?.status?.conditions },
      );
      expectEqual(cond(end, 'Ready')?.status, 'False', { rule: RULES.phases, what: 'condition Ready after completion' });
      expectEqual(cond(end, 'Ready')?.reason, 'PodCompleted', { rule: RULES.phases, what: "condition Ready's reason after completion" });
      const s = end.status?.containerStatuses?.find((x) => x.name === 'app');
      expectEqual(s?.state.terminated?.exitCode, 0, { rule: RULES.exitCode, what: 'app state.terminated.exitCode' });
      expectEqual(s?.state.terminated?.reason, 'Completed', { rule: RULES.exitCode, what: 'app state.terminated.reason' });
      const st = await k.containerStatus(pod, 'app');
      expectEqual(st.state, ContainerState.CONTAINER_EXITED, { rule: RULES.exitCode, what: 'CRI state of app', call: k.ctx.lastCall });
      expectEqual(st.exitCode, 0, { rule: RULES.exitCode, what: 'CRI exit_code of app', call: k.ctx.lastCall });
      const sbs = await expectOk(k.cri.listPodSandbox({ filter: { labelSelector: { [POD_UID]: pod.metadata.uid! } } }), { rule: RULES.listOk });
      expectTrue(
        sbs.items.length > 0 && sbs.items.every((x) => x.state === PodSandboxState.SANDBOX_NOTREADY),
        `the completed pod's sandbox is ${sbs.items.map((x) => PodSandboxState[x.state]).join(', ') || 'gone'}, expected SANDBOX_NOTREADY (stopped, not yet removed)`,
        {
          rule: 'kubelet stops the sandbox of a pod that reached a terminal phase (StopPodSandbox: the runtime tears its network down); it stays until the pod is deleted',
          call: k.ctx.lastCall,
        },
      );
    },
  }),
  c({
    id: 'pod.lifecycle.failed-exit-code',
    name: 'restartPolicy Never and exit 3: the pod is Failed and both the pod status and the runtime report exit code 3',
    async run(k) {
      const pod = await k.run({ label: 'fail', restartPolicy: 'Never', containers: [{ name: 'app', script: 'echo failing; exit 3' }] });
      const end = await k.waitFor(pod.metadata.name, (p) => ['Succeeded', 'Failed'].includes(p.status?.phase ?? ''), 'Failed');
      expectEqual(end.status?.phase, 'Failed', { rule: RULES.phases, what: 'the final phase' });
      const s = end.status?.containerStatuses?.find((x) => x.name === 'app');
      expectEqual(s?.state.terminated?.exitCode, 3, { rule: RULES.exitCode, what: 'app state.terminated.exitCode' });
      expectEqual(s?.state.terminated?.reason, 'Error', { rule: RULES.exitCode, what: 'app state.terminated.reason' });
      const st = await k.containerStatus(pod, 'app');
      expectEqual(st.exitCode, 3, { rule: RULES.exitCode, what: 'CRI exit_code of app', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'pod.lifecycle.restart-always-counts',
    name: 'restartPolicy Always: a failing container is restarted as new runtime containers whose attempt is the restartCount; lastState keeps exit 1',
    async run(k) {
      const pod = await k.run({ label: 'restart', containers: [{ name: 'app', script: 'echo attempt; exit 1' }] });
      const p = await k.waitFor(pod.metadata.name, (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2, 'restartCount ≥ 2');
      const s = p.status!.containerStatuses![0];
      expectEqual(p.status?.phase, 'Running', { rule: RULES.restart, what: 'the phase of a restartPolicy Always pod whose container keeps failing' });
      expectEqual(s.lastState.terminated?.exitCode, 1, { rule: RULES.restart, what: 'lastState.terminated.exitCode' });
      const st = await k.containerStatus(p, 'app');
      expectEqual(st.metadata?.attempt, s.restartCount, {
        rule: RULES.restart,
        what: `CRI metadata.attempt of the current container (restartCount ${s.restartCount})`,
        call: k.ctx.lastCall,
      });
      const list = await expectOk(k.cri.listContainers({ filter: { labelSelector: { [POD_UID]: pod.metadata.uid! } } }), {
        rule: 'CRI ListContainers MUST answer OK',
      });
      const mine = list.containers.filter((x) => x.metadata?.name === 'app');
      expectEqual(new Set(mine.map((x) => x.id)).size, mine.length, { rule: RULES.restart, what: 'distinct container ids per attempt' });
      expectEqual(new Set(mine.map((x) => x.metadata?.attempt)).size, mine.length, {
        rule: RULES.restart,
        what: 'distinct attempts among the listed containers',
        call: k.ctx.lastCall,
      });
      const previous = mine.find((x) => x.metadata?.attempt === s.restartCount - 1);
      if (previous) {
        const ps = await expectOk(k.cri.containerStatus({ containerId: previous.id }), { rule: RULES.containerStatusOk });
        expectEqual(ps.status?.exitCode, 1, { rule: RULES.exitCode, what: `CRI exit_code of attempt ${s.restartCount - 1}`, call: k.ctx.lastCall });
      }
    },
  }),
];
