// CRI runtime-level RPCs: Version, Status (conditions, verbose info, handlers), RuntimeConfig and
// UpdateRuntimeConfig.
import { CgroupDriver } from '../../interfaces/gen/cri/api.js';
import { expectEqual, expectNonEmpty, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { caseIn } from './case.js';
import { rpcCap, type CriEnv } from './kit.js';

const c = caseIn('cri.Runtime');
const STATUS_OK = 'CRI Status MUST answer OK with the runtime\'s conditions';

export const runtimeCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.runtime.version', name: 'Version answers the runtime name and version and CRI API version v1',
    async run(k) {
      const p = k.runtime.version({ version: 'v1' });
      const v = await expectOk(p, 'CRI Version MUST answer OK');
      expectNonEmpty(v.runtimeName, 'CRI VersionResponse.runtime_name: the name of the container runtime', 'runtime_name', p);
      expectNonEmpty(v.runtimeVersion, 'CRI VersionResponse.runtime_version: the version of the container runtime (semver-compatible)', 'runtime_version', p);
      expectEqual(v.runtimeApiVersion, 'v1', 'CRI VersionResponse.runtime_api_version: the API version of the container runtime; kubelet speaks runtime.v1 only', 'runtime_api_version', p);
      expectEqual(v.version, '0.1.0', 'CRI VersionResponse.version: the version of the kubelet runtime API ("0.1.0", what kubelet checks)', 'version', p);
    },
  }),
  c({
    id: 'cri.runtime.status.runtime-ready', name: 'Status reports the RuntimeReady condition as true',
    async run(k) {
      const p = k.runtime.status({ verbose: false });
      const st = await expectOk(p, STATUS_OK);
      const cond = st.status?.conditions.find((x) => x.type === 'RuntimeReady');
      expectTrue(cond, 'no RuntimeReady condition in Status', 'CRI RuntimeStatus: the RuntimeReady condition is required (kubelet reports the node NotReady without it)', { call: p });
      expectTrue(cond.status, `RuntimeReady is false: ${cond.reason} ${cond.message}`, 'CRI RuntimeStatus: RuntimeReady is true when the runtime is up and ready to accept basic containers', { call: p });
    },
  }),
  c({
    id: 'cri.runtime.status.network-ready', name: 'Status reports the NetworkReady condition as true',
    async run(k) {
      const p = k.runtime.status({ verbose: false });
      const st = await expectOk(p, STATUS_OK);
      const cond = st.status?.conditions.find((x) => x.type === 'NetworkReady');
      expectTrue(cond, 'no NetworkReady condition in Status', 'CRI RuntimeStatus: the NetworkReady condition is required (kubelet reports the node NotReady without it)', { call: p });
      expectTrue(cond.status, `NetworkReady is false: ${cond.reason} ${cond.message}`, 'CRI RuntimeStatus: NetworkReady is true when the runtime network is up and ready to accept containers that need it', { call: p });
    },
  }),
  c({
    id: 'cri.runtime.status.conditions-well-formed', name: 'Every Status condition has a type, and a false one a reason',
    async run(k) {
      const p = k.runtime.status({ verbose: false });
      const st = await expectOk(p, STATUS_OK);
      const conds = st.status?.conditions ?? [];
      expectTrue(conds.length >= 2, `Status has ${conds.length} condition(s)`, 'CRI RuntimeStatus.conditions: at least RuntimeReady and NetworkReady', { call: p });
      conds.forEach((x, i) => {
        expectNonEmpty(x.type, 'CRI RuntimeCondition.type is required', `conditions[${i}].type`, p);
        if (!x.status) expectNonEmpty(x.reason, 'CRI RuntimeCondition: a condition that is not true says why in reason (a CamelCase word kubelet shows)', `conditions[${i}].reason of false condition ${x.type}`, p);
      });
      const types = conds.map((x) => x.type);
      expectTrue(new Set(types).size === types.length, `condition types repeat: ${types.join(', ')}`, 'CRI RuntimeStatus.conditions: each condition type appears once', { call: p });
    },
  }),
  c({
    id: 'cri.runtime.status.verbose', name: 'Status with verbose answers OK (info is only for verbose calls)', tags: ['Optional'],
    async run(k) {
      const quiet = await expectOk(k.runtime.status({ verbose: false }), STATUS_OK);
      expectEqual(Object.keys(quiet.info).length, 0, 'CRI StatusResponse.info: extra information, only returned when verbose is true', 'number of info keys without verbose', k.ctx.lastCall);
      await expectOk(k.runtime.status({ verbose: true }), 'CRI Status with verbose=true MUST answer OK (info holds runtime-specific details)');
    },
  }),
  c({
    id: 'cri.runtime.status.runtime-handlers', name: 'Status runtime_handlers, when reported, include the default handler with unique names', tags: ['Optional'],
    async run(k) {
      const p = k.runtime.status({ verbose: false });
      const st = await expectOk(p, STATUS_OK);
      if (!st.runtimeHandlers.length) k.ctx.notApplicable('the runtime reports no runtime_handlers in Status (a newer field; older runtimes leave it empty)');
      const names = st.runtimeHandlers.map((h) => h.name);
      expectTrue(names.includes(''), `runtime_handlers are ${JSON.stringify(names)}, without the default handler ""`, 'CRI StatusResponse.runtime_handlers: the list includes the default handler, with the empty name', { call: p });
      expectTrue(new Set(names).size === names.length, `runtime handler names repeat: ${JSON.stringify(names)}`, 'CRI StatusResponse.runtime_handlers: one entry per handler', { call: p });
    },
  }),
  c({
    id: 'cri.runtime.runtime-config', name: 'RuntimeConfig answers the cgroup driver (systemd or cgroupfs)', needs: [rpcCap('RuntimeConfig')],
    async run(k) {
      const p = k.runtime.runtimeConfig({});
      const res = await expectOk(p, 'CRI RuntimeConfig MUST answer OK when implemented (kubelet reads the cgroup driver from it at start)');
      const driver = res.linux?.cgroupDriver;
      if (driver !== CgroupDriver.SYSTEMD && driver !== CgroupDriver.CGROUPFS) {
        fail(`linux.cgroup_driver is ${driver}`, 'CRI RuntimeConfigResponse.linux.cgroup_driver is SYSTEMD or CGROUPFS', { call: p });
      }
    },
  }),
  c({
    id: 'cri.runtime.update-runtime-config', name: 'UpdateRuntimeConfig without a pod CIDR change answers OK',
    async run(k) {
      await expectOk(k.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: '' } } }),
        'CRI UpdateRuntimeConfig MUST answer OK; an empty pod_cidr changes nothing (kubelet calls it at start and on node CIDR changes)');
    },
  }),
];
