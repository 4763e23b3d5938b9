// CRI container resources: containers created with CPU and memory limits run;
// UpdateContainerResources of a running and a created container answers OK (and, where the
// runtime reports ContainerStatus.resources, the new values are what it reports); unknown ids.
import { expectCode, expectEqual, expectOk } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { caseIn } from './case.js';
import { ContainerState, RULES, type CriEnv } from './kit.js';

const c = caseIn('cri.Resources');

const MiB = 1024n * 1024n;
const UPDATE_RULE = 'CRI UpdateContainerResources applies new resource limits to a created or running container synchronously and answers OK (kubelet resizes pods in place with it)';
const LIMITS = { cpuShares: 512n, cpuPeriod: 100_000n, cpuQuota: 50_000n, memoryLimitInBytes: 128n * MiB };

export const resourceCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.resources.create-with-limits', name: 'A container created with CPU and memory limits runs',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod, 'limited', { linux: { resources: LIMITS } });
      expectEqual(ContainerState[(await k.status(id)).state], 'CONTAINER_RUNNING', 'CRI LinuxContainerConfig.resources: the limits the container is created with; a container within them runs', 'status.state', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.resources.update.running', name: 'UpdateContainerResources of a running container answers OK and the container keeps running',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod, 'resized', { linux: { resources: { cpuShares: 256n, memoryLimitInBytes: 256n * MiB } } });
      await expectOk(k.runtime.updateContainerResources({ containerId: id, linux: LIMITS }), UPDATE_RULE);
      expectEqual(ContainerState[(await k.status(id)).state], 'CONTAINER_RUNNING', UPDATE_RULE, 'status.state after the update', k.ctx.lastCall);
      const r = await k.exec(id, ['true']);
      expectEqual(r.exitCode, 0, UPDATE_RULE, 'exit code of ExecSync after the update', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.resources.update.created', name: 'UpdateContainerResources of a created container answers OK; it then starts',
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.create(pod, 'later', ['sleep', '3600']);
      await expectOk(k.runtime.updateContainerResources({ containerId: id, linux: LIMITS }), UPDATE_RULE);
      await k.start(id);
      expectEqual(ContainerState[(await k.status(id)).state], 'CONTAINER_RUNNING', RULES.startOk, 'status.state', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.resources.update.reported', name: 'ContainerStatus.resources reports the limits UpdateContainerResources set', tags: ['Optional'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      await expectOk(k.runtime.updateContainerResources({ containerId: id, linux: LIMITS }), UPDATE_RULE);
      const st = await k.status(id);
      const got = st.resources?.linux;
      if (!got) return k.ctx.notApplicable('the runtime reports no ContainerStatus.resources (a field added for in-place resize; older runtimes leave it unset)');
      const rule = 'CRI ContainerStatus.resources: the resource configuration the container runs with (kubelet compares it with the pod spec to finish an in-place resize)';
      expectEqual({ cpuShares: got.cpuShares, cpuPeriod: got.cpuPeriod, cpuQuota: got.cpuQuota, memoryLimitInBytes: got.memoryLimitInBytes }, LIMITS, rule, 'status.resources.linux', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.resources.update.unknown-id', name: 'UpdateContainerResources of an unknown container id fails with NOT_FOUND',
    async run(k) {
      await expectCode(k.runtime.updateContainerResources({ containerId: k.env.unknownId, linux: LIMITS }), 'NOT_FOUND', RULES.notFound('UpdateContainerResources', 'container'));
    },
  }),
];
