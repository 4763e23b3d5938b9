// Pod deletion, as kubelet's killPod + cleanup: preStop hooks, StopContainer with the grace
// period (app containers together, then sidecars last-first), StopPodSandbox (the runtime
// releases the CNI attachment), RemoveContainer/RemovePodSandbox, then the volumes in reverse,
// the pod's log directory and its cgroup.
// Every step runs even when an earlier one failed; the errors are returned together.
import { rmSync } from 'node:fs';
import { isCode, Status } from '../../interfaces/grpc/errors.js';
import type { LifecycleHandler } from '../api/types.js';
import { removePodCgroup } from './cgroups.js';
import { markRemoved, markStopped } from './container-record.js';
import { runProbe } from './prober.js';
import { cgroupParent } from './sandbox-config.js';
import type { ContainerRecord, PodWorker } from './pod-worker.js';
import { ref } from './pod-worker.js';
import type { WorkerDeps } from './pod-worker.js';

export async function tearDownPod(
  w: PodWorker,
  deps: Pick<WorkerDeps, 'cri' | 'volumes' | 'cgroupDriver' | 'cgroupRoot'>,
  graceS = w.grace(),
): Promise<Error[]> {
  const errors: Error[] = [];
  const rt = deps.cri.runtime;
  const rec = w.rec;
  w.deletionTimestamp ??= Date.now();
  w.stopAllProbes();
  // NOT_FOUND means an earlier, partly failed teardown already got this far: kubelet treats a
  // missing container or sandbox as stopped and removed, and so does a retry here.
  const attempt = async (name: string, fn: () => Promise<unknown>): Promise<boolean> => {
    try {
      await rec.step('teardown', name, fn);
      return true;
    } catch (err) {
      if (isCode(err, Status.NOT_FOUND)) return true;
      errors.push(err as Error);
      return false;
    }
  };
  const running = (kind: ContainerRecord['kind']) => [...w.containers.values()].filter((c) => c.kind === kind && c.id && c.state === 'running');
  const deadline = Date.now() + graceS * 1000;

  const stop = async (c: ContainerRecord) => {
    const hook = c.spec.lifecycle?.preStop;
    if (hook) await attempt(`PreStop ${c.name}`, () => runHook(w, c, hook, graceS));
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    rec.event('Normal', 'Killing', `Stopping container ${c.name}`, ref(c));
    await attempt(`StopContainer ${c.name}`, () => rt.stopContainer({ containerId: c.id!, timeout: BigInt(left) }, { timeoutMs: left * 1000 + 15_000 }));
    markStopped(c);
  };
  await Promise.all(running('app').map(stop));
  for (const c of running('sidecar').reverse()) await stop(c);
  for (const c of running('init')) await stop(c);

  if (w.sandboxId) await attempt('StopPodSandbox', () => rt.stopPodSandbox({ podSandboxId: w.sandboxId! }));
  for (const c of w.containers.values()) {
    // ids whose removal failed stay on the record so the next delete tries them again
    const left: string[] = [];
    for (const id of [...c.oldIds, ...(c.id ? [c.id] : [])]) {
      if (!(await attempt(`RemoveContainer ${c.name}`, () => rt.removeContainer({ containerId: id })))) left.push(id);
    }
    markRemoved(c, left);
  }
  if (w.sandboxId) {
    const id = w.sandboxId;
    if (await attempt('RemovePodSandbox', () => rt.removePodSandbox({ podSandboxId: id }))) w.sandboxId = undefined;
  }
  errors.push(...(await deps.volumes.tearDown({ uid: w.uid }, w.volumes, rec)));
  // kubelet's container GC evicts a deleted pod's log directory (evictPodLogsDirectories) once its
  // containers are gone; here that is as soon as the runtime removed them all.
  if (errors.length === 0) rmSync(w.logDirectory, { recursive: true, force: true });
  // the pod cgroup the runtime made as its containers' parent (cgroupfs): kubelet removes it
  if (errors.length === 0 && deps.cgroupDriver === 'cgroupfs') {
    const left = removePodCgroup(cgroupParent(w.pod, deps));
    if (left.length) errors.push(new Error(`pod cgroup still has tasks after the sandbox was removed: ${left.join(', ')}`));
  }
  return errors;
}

async function runHook(w: PodWorker, c: ContainerRecord, hook: LifecycleHandler, graceS: number): Promise<void> {
  if (hook.sleep) {
    await new Promise((r) => setTimeout(r, Math.min(hook.sleep!.seconds, graceS) * 1000));
    return;
  }
  if (hook.exec) {
    await w.hookExec(c, hook.exec.command, graceS);
    return;
  }
  const out = await runProbe({ httpGet: hook.httpGet, tcpSocket: hook.tcpSocket, timeoutSeconds: graceS }, c.spec, w.hookTarget(c));
  if (!out.ok) throw new Error(`PreStop hook for ${c.name} failed: ${out.message}`);
}
