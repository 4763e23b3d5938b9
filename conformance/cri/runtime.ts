// CRI runtime-level RPCs: Version, Status (conditions, verbose info, handlers), RuntimeConfig and
// UpdateRuntimeConfig.
import { CgroupDriver } from '../../interfaces/gen/cri/api.js';
import { expectEqual, expectMatch, expectNonEmpty, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { rpcCap, type CriEnv, CriKit } from './kit.js';

const c = defineCases(CriKit, 'cri.Runtime');
const STATUS_OK = 'cri.status.answers';
/** semver-compatible: major[.minor[.patch]], optional v, any pre-release/build/distro suffix (Go's semver accepts "v1"). */
const SEMVER = /^v?\d+(\.\d+){0,2}([-+~].*)?$/;

export const runtimeCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.runtime.version',
    rpc: 'Version',
    name: 'Version answers the runtime name and version and CRI API version v1',
    rules: [
      'cri.version.answers',
      'cri.version.runtime-version-semver',
      'cri.version.runtime-api-version-semver',
      'cri.version.kubelet-api-version',
      'cri.version.api-v1',
    ],
    async run(k) {
      const p = k.runtime.version({ version: 'v1' });
      const v = await expectOk(p, { rule: 'cri.version.answers' });
      expectNonEmpty(v.runtimeName, { rule: 'cri.version.answers', what: 'runtime_name', call: p });
      expectNonEmpty(v.runtimeVersion, { rule: 'cri.version.answers', what: 'runtime_version', call: p });
      expectMatch(v.runtimeVersion, SEMVER, { rule: 'cri.version.runtime-version-semver', what: 'runtime_version', call: p });
      expectMatch(v.runtimeApiVersion, SEMVER, { rule: 'cri.version.runtime-api-version-semver', what: 'runtime_api_version', call: p });
      expectEqual(v.runtimeApiVersion, 'v1', { rule: 'cri.version.api-v1', what: 'runtime_api_version', call: p });
      expectEqual(v.version, '0.1.0', { rule: 'cri.version.kubelet-api-version', what: 'version', call: p });
    },
  }),
  c({
    id: 'cri.runtime.status.runtime-ready',
    rpc: 'Status',
    name: 'Status reports the RuntimeReady condition as true',
    rules: [STATUS_OK, 'cri.runtime-condition.runtime-ready'],
    async run(k) {
      const p = k.runtime.status({ verbose: false });
      const st = await expectOk(p, { rule: STATUS_OK });
      const cond = st.status?.conditions.find((x) => x.type === 'RuntimeReady');
      expectTrue(cond, 'no RuntimeReady condition in Status', { rule: 'cri.runtime-condition.runtime-ready', call: p });
      expectTrue(cond.status, `RuntimeReady is false: ${cond.reason} ${cond.message}`, { rule: 'cri.runtime-condition.runtime-ready', call: p });
    },
  }),
  c({
    id: 'cri.runtime.status.network-ready',
    rpc: 'Status',
    name: 'Status reports the NetworkReady condition as true',
    rules: [STATUS_OK, 'cri.runtime-condition.network-ready'],
    async run(k) {
      const p = k.runtime.status({ verbose: false });
      const st = await expectOk(p, { rule: STATUS_OK });
      const cond = st.status?.conditions.find((x) => x.type === 'NetworkReady');
      expectTrue(cond, 'no NetworkReady condition in Status', { rule: 'cri.runtime-condition.network-ready', call: p });
      expectTrue(cond.status, `NetworkReady is false: ${cond.reason} ${cond.message}`, { rule: 'cri.runtime-condition.network-ready', call: p });
    },
  }),
  c({
    id: 'cri.runtime.status.conditions-well-formed',
    rpc: 'Status',
    name: 'Every Status condition has a type, and a false one a reason',
    rules: [STATUS_OK, 'cri.runtime-condition.well-formed'],
    async run(k) {
      const p = k.runtime.status({ verbose: false });
      const st = await expectOk(p, { rule: STATUS_OK });
      const conds = st.status?.conditions ?? [];
      expectTrue(conds.length >= 2, `Status has ${conds.length} condition(s)`, { rule: 'cri.runtime-condition.well-formed', call: p });
      conds.forEach((x, i) => {
        expectNonEmpty(x.type, { rule: 'cri.runtime-condition.well-formed', what: `conditions[${i}].type`, call: p });
        if (!x.status)
          expectNonEmpty(x.reason, { rule: 'cri.runtime-condition.well-formed', what: `conditions[${i}].reason of false condition ${x.type}`, call: p });
      });
      const types = conds.map((x) => x.type);
      expectTrue(new Set(types).size === types.length, `condition types repeat: ${types.join(', ')}`, { rule: 'cri.runtime-condition.well-formed', call: p });
    },
  }),
  c({
    id: 'cri.runtime.status.verbose',
    rpc: 'Status',
    name: 'Status with verbose answers OK (info is only for verbose calls)',
    tags: ['Optional'],
    rules: [STATUS_OK, 'cri.status.verbose-info', 'cri.verbose.info-present'],
    async run(k) {
      const quiet = await expectOk(k.runtime.status({ verbose: false }), { rule: STATUS_OK });
      expectEqual(Object.keys(quiet.info).length, 0, { rule: 'cri.status.verbose-info', what: 'number of info keys without verbose', call: k.ctx.lastCall });
      await expectOk(k.runtime.status({ verbose: true }), { rule: 'cri.verbose.info-present' });
    },
  }),
  c({
    id: 'cri.runtime.status.runtime-handlers',
    rpc: 'Status',
    name: 'Status runtime_handlers, when reported, include the default handler with unique names',
    tags: ['Optional'],
    rules: [STATUS_OK, 'cri.status.runtime-handlers'],
    async run(k) {
      const p = k.runtime.status({ verbose: false });
      const st = await expectOk(p, { rule: STATUS_OK });
      if (!st.runtimeHandlers.length) k.ctx.notApplicable('the runtime reports no runtime_handlers in Status (a newer field; older runtimes leave it empty)');
      const names = st.runtimeHandlers.map((h) => h.name);
      expectTrue(names.includes(''), `runtime_handlers are ${JSON.stringify(names)}, without the default handler ""`, {
        rule: 'cri.status.runtime-handlers',
        call: p,
      });
      expectTrue(new Set(names).size === names.length, `runtime handler names repeat: ${JSON.stringify(names)}`, {
        rule: 'cri.status.runtime-handlers',
        call: p,
      });
    },
  }),
  c({
    id: 'cri.runtime.runtime-config',
    rpc: 'RuntimeConfig',
    name: 'RuntimeConfig answers the cgroup driver (systemd or cgroupfs)',
    needs: [rpcCap('RuntimeConfig')],
    rules: ['cri.runtime-config.answers'],
    async run(k) {
      const p = k.runtime.runtimeConfig({});
      const res = await expectOk(p, { rule: 'cri.runtime-config.answers' });
      const driver = res.linux?.cgroupDriver;
      if (driver !== CgroupDriver.SYSTEMD && driver !== CgroupDriver.CGROUPFS) {
        fail(`linux.cgroup_driver is ${driver}`, { rule: 'cri.runtime-config.answers', call: p });
      }
    },
  }),
  c({
    id: 'cri.runtime.update-runtime-config',
    rpc: 'UpdateRuntimeConfig',
    name: 'UpdateRuntimeConfig without a pod CIDR change answers OK',
    rules: ['cri.update-runtime-config.updates'],
    async run(k) {
      await expectOk(k.runtime.updateRuntimeConfig({ runtimeConfig: { networkConfig: { podCidr: '' } } }), { rule: 'cri.update-runtime-config.updates' });
    },
  }),
];
