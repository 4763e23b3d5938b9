// CRI container resources: containers created with CPU and memory limits run;
// UpdateContainerResources of a running and a created container answers OK (and, where the
// runtime reports ContainerStatus.resources, the new values are what it reports); unknown ids.
import { expectEqual, expectOk } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { CREATE, ContainerState, POD, RULES, RUN, expectNotFound, type CriEnv, CriKit } from './kit.js';

const c = defineCases(CriKit, 'cri.Resources');

const MiB = 1024n * 1024n;
const UPDATE_RULE = 'cri.update-container-resources.applies';
const LIMITS = { cpuShares: 512n, cpuPeriod: 100_000n, cpuQuota: 50_000n, memoryLimitInBytes: 128n * MiB };

export const resourceCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.resources.create-with-limits',
    rpc: 'CreateContainer',
    name: 'A container created with CPU and memory limits runs',
    rules: [...POD, ...RUN, RULES.statusOk, 'cri.linux-container-resources.applied'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod, 'limited', { linux: { resources: LIMITS } });
      expectEqual(ContainerState[(await k.status(id)).state], 'CONTAINER_RUNNING', {
        rule: 'cri.linux-container-resources.applied',
        what: 'status.state',
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cri.resources.update.running',
    rpc: 'UpdateContainerResources',
    name: 'UpdateContainerResources of a running container answers OK and the container keeps running',
    rules: [...POD, ...RUN, RULES.statusOk, RULES.execOk, UPDATE_RULE],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod, 'resized', { linux: { resources: { cpuShares: 256n, memoryLimitInBytes: 256n * MiB } } });
      await expectOk(k.runtime.updateContainerResources({ containerId: id, linux: LIMITS }), { rule: UPDATE_RULE });
      expectEqual(ContainerState[(await k.status(id)).state], 'CONTAINER_RUNNING', {
        rule: UPDATE_RULE,
        what: 'status.state after the update',
        call: k.ctx.lastCall,
      });
      const r = await k.exec(id, ['true']);
      expectEqual(r.exitCode, 0, { rule: UPDATE_RULE, what: 'exit code of ExecSync after the update', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.resources.update.created',
    rpc: 'UpdateContainerResources',
    name: 'UpdateContainerResources of a created container answers OK; it then starts',
    rules: [...POD, ...CREATE, RULES.startOk, RULES.statusOk, UPDATE_RULE],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.create(pod, 'later', ['sleep', '3600']);
      await expectOk(k.runtime.updateContainerResources({ containerId: id, linux: LIMITS }), { rule: UPDATE_RULE });
      await k.start(id);
      expectEqual(ContainerState[(await k.status(id)).state], 'CONTAINER_RUNNING', { rule: RULES.startOk, what: 'status.state', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.resources.update.reported',
    rpc: ['ContainerStatus', 'UpdateContainerResources'],
    name: 'ContainerStatus.resources reports the limits UpdateContainerResources set',
    rules: [...POD, ...RUN, RULES.statusOk, UPDATE_RULE, 'cri.container-status.resources'],
    async run(k) {
      const pod = await k.sandbox();
      const id = await k.sleeper(pod);
      await expectOk(k.runtime.updateContainerResources({ containerId: id, linux: LIMITS }), { rule: UPDATE_RULE });
      const st = await k.status(id);
      const got = st.resources?.linux;
      if (!got)
        return k.ctx.notApplicable('the runtime reports no ContainerStatus.resources (a field added for in-place resize; older runtimes leave it unset)');
      const rule = 'cri.container-status.resources';
      expectEqual({ cpuShares: got.cpuShares, cpuPeriod: got.cpuPeriod, cpuQuota: got.cpuQuota, memoryLimitInBytes: got.memoryLimitInBytes }, LIMITS, {
        rule,
        what: 'status.resources.linux',
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cri.resources.update.unknown-id',
    rpc: 'UpdateContainerResources',
    name: 'UpdateContainerResources of an unknown container id fails with NOT_FOUND',
    rules: [RULES.notFound],
    async run(k) {
      await expectNotFound(k.runtime.updateContainerResources({ containerId: k.env.unknownId, linux: LIMITS }));
    },
  }),
];
