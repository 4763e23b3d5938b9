// CRI security context as the process sees it: run as user / group / supplemental groups / user
// name, a read-only root filesystem, the capabilities of a default container (not privileged),
// added and dropped capabilities, no_new_privs and privileged containers. The process's view
// comes from `id` and /proc/self/status (CapEff, NoNewPrivs).
import { expectEqual, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { caseIn } from './case.js';
import { parseLogLine, type CriEnv, type CriKit } from './kit.js';

const c = caseIn('cri.Security');

const CAP = { CHOWN: 0, NET_ADMIN: 12, NET_RAW: 13, SYS_ADMIN: 21, SYS_MODULE: 16, SYS_TIME: 25 } as const;

/** Run `script` in a fresh sandbox (with `sandboxSc` as its security context) and answer its stdout lines. */
async function outputOf(k: CriKit, script: string, securityContext: Record<string, unknown>, sandboxSc?: Record<string, unknown>): Promise<string[]> {
  const pod = await k.sandbox(sandboxSc ? { linux: { securityContext: sandboxSc } } : {});
  const id = await k.run(pod, 'probe', ['sh', '-c', script], { linux: { securityContext } } as never);
  const st = await k.waitExited(id);
  const out = k.logLines(st.logPath).map(parseLogLine).filter((l) => l?.stream === 'stdout').map((l) => l!.text);
  if (st.exitCode !== 0) fail(`\`${script}\` exited ${st.exitCode} (stdout ${JSON.stringify(out)})`, 'the probe command runs in any busybox-like image', { actual: out });
  return out;
}

/** The effective capability set from /proc/self/status. */
async function capEff(k: CriKit, securityContext: Record<string, unknown>, sandboxSc?: Record<string, unknown>): Promise<bigint> {
  const out = await outputOf(k, 'grep CapEff /proc/self/status', securityContext, sandboxSc);
  const m = /^CapEff:\s*([0-9a-fA-F]+)$/.exec(out[0] ?? '');
  if (!m) fail(`no CapEff line in /proc/self/status: ${JSON.stringify(out)}`, 'Linux: /proc/self/status has the CapEff line (the process\'s effective capabilities)');
  return BigInt(`0x${m[1]}`);
}

const has = (mask: bigint, bit: number) => ((mask >> BigInt(bit)) & 1n) === 1n;

export const securityCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.security.run-as-user', name: 'run_as_user sets the process\'s uid',
    async run(k) {
      const out = await outputOf(k, 'id -u', { runAsUser: { value: 1234n } });
      expectEqual(out, ['1234'], 'CRI LinuxContainerSecurityContext.run_as_user: the UID to run the container process as', 'output of `id -u`');
    },
  }),
  c({
    id: 'cri.security.run-as-group', name: 'run_as_group sets the process\'s primary gid',
    async run(k) {
      const out = await outputOf(k, 'id -u; id -g', { runAsUser: { value: 1234n }, runAsGroup: { value: 5678n } });
      expectEqual(out, ['1234', '5678'], 'CRI LinuxContainerSecurityContext.run_as_group: the GID to run the container process as (with run_as_user)', 'output of `id -u; id -g`');
    },
  }),
  c({
    id: 'cri.security.supplemental-groups', name: 'supplemental_groups are the process\'s additional groups',
    async run(k) {
      const out = await outputOf(k, 'id -G', { runAsUser: { value: 1234n }, runAsGroup: { value: 5678n }, supplementalGroups: [4242n, 4343n] });
      const groups = (out[0] ?? '').split(/\s+/).filter(Boolean);
      for (const g of ['5678', '4242', '4343']) {
        expectTrue(groups.includes(g), `\`id -G\` is ${JSON.stringify(out[0])}, without ${g}`, 'CRI LinuxContainerSecurityContext.supplemental_groups: groups added to the container\'s process besides its primary group', { actual: out });
      }
    },
  }),
  c({
    id: 'cri.security.run-as-username', name: 'run_as_username runs the process as that user of the image', tags: ['Optional'],
    async run(k) {
      const out = await outputOf(k, 'id -u', { runAsUsername: 'nobody' });
      expectEqual(out, ['65534'], 'CRI LinuxContainerSecurityContext.run_as_username: the user name (from the image\'s /etc/passwd) to run as; nobody is 65534 in busybox-like images', 'output of `id -u` as nobody');
    },
  }),
  c({
    id: 'cri.security.readonly-rootfs', name: 'readonly_rootfs refuses writes to the root filesystem but not to a writable mount',
    async run(k) {
      const dir = k.hostDir();
      const pod = await k.sandbox();
      const id = await k.run(pod, 'ro', ['sh', '-c', 'touch /triad-rootfs-file && echo rootfs-written || echo rootfs-refused; echo ok > /scratch/f && echo mount-written'],
        { linux: { securityContext: { readonlyRootfs: true } }, mounts: [{ containerPath: '/scratch', hostPath: dir }] } as never);
      const st = await k.waitExited(id);
      const out = k.logLines(st.logPath).map(parseLogLine).filter((l) => l?.stream === 'stdout').map((l) => l!.text);
      expectEqual(out, ['rootfs-refused', 'mount-written'], 'CRI LinuxContainerSecurityContext.readonly_rootfs: the root filesystem is read-only; mounts keep their own mode', 'output of the two writes');
    },
  }),
  c({
    id: 'cri.security.default-capabilities', name: 'A default container is not privileged: no CAP_SYS_ADMIN, CAP_NET_ADMIN or CAP_SYS_MODULE',
    async run(k) {
      const eff = await capEff(k, {});
      const rule = 'CRI: without privileged or added capabilities, a container gets the runtime\'s default capability set (containerd/CRI-O/Docker: CHOWN, DAC_OVERRIDE, … — never SYS_ADMIN, NET_ADMIN or SYS_MODULE)';
      expectTrue(eff !== 0n, 'a root process of a default container has no capabilities at all', rule, { actual: eff.toString(16) });
      for (const [name, bit] of [['SYS_ADMIN', CAP.SYS_ADMIN], ['NET_ADMIN', CAP.NET_ADMIN], ['SYS_MODULE', CAP.SYS_MODULE], ['SYS_TIME', CAP.SYS_TIME]] as const) {
        expectTrue(!has(eff, bit), `CapEff ${eff.toString(16)} has CAP_${name}`, rule, { actual: eff.toString(16) });
      }
    },
  }),
  c({
    id: 'cri.security.add-capability', name: 'capabilities.add_capabilities adds CAP_NET_ADMIN',
    async run(k) {
      const eff = await capEff(k, { capabilities: { addCapabilities: ['NET_ADMIN'] } });
      expectTrue(has(eff, CAP.NET_ADMIN), `CapEff ${eff.toString(16)} lacks CAP_NET_ADMIN`, 'CRI Capability.add_capabilities: capabilities added to the container\'s default set (names without the CAP_ prefix, as kubelet sends them)', { actual: eff.toString(16) });
    },
  }),
  c({
    id: 'cri.security.drop-capability', name: 'capabilities.drop_capabilities removes CAP_CHOWN and CAP_NET_RAW',
    async run(k) {
      const eff = await capEff(k, { capabilities: { dropCapabilities: ['CHOWN', 'NET_RAW'] } });
      const rule = 'CRI Capability.drop_capabilities: capabilities removed from the container\'s default set';
      expectTrue(!has(eff, CAP.CHOWN), `CapEff ${eff.toString(16)} still has CAP_CHOWN`, rule, { actual: eff.toString(16) });
      expectTrue(!has(eff, CAP.NET_RAW), `CapEff ${eff.toString(16)} still has CAP_NET_RAW`, rule, { actual: eff.toString(16) });
    },
  }),
  c({
    id: 'cri.security.non-root-no-capabilities', name: 'A process running as a non-root user has no effective capabilities', tags: ['Optional'],
    async run(k) {
      const eff = await capEff(k, { runAsUser: { value: 1234n } });
      expectEqual(eff, 0n, 'Linux: a non-root process started without file or ambient capabilities has an empty effective set (the kernel clears it at exec)', 'CapEff as uid 1234');
    },
  }),
  c({
    id: 'cri.security.no-new-privs', name: 'no_new_privs sets the process\'s NoNewPrivs flag',
    async run(k) {
      const out = await outputOf(k, 'grep NoNewPrivs /proc/self/status', { noNewPrivs: true });
      expectEqual((out[0] ?? '').replace(/\s+/g, ' '), 'NoNewPrivs: 1', 'CRI LinuxContainerSecurityContext.no_new_privs: the no_new_privs flag is set on the container process (allowPrivilegeEscalation: false)', 'the NoNewPrivs line of /proc/self/status');
    },
  }),
  c({
    id: 'cri.security.privileged', name: 'A privileged container in a privileged sandbox has CAP_SYS_ADMIN', tags: ['Optional'],
    async run(k) {
      const eff = await capEff(k, { privileged: true }, { privileged: true });
      expectTrue(has(eff, CAP.SYS_ADMIN), `CapEff ${eff.toString(16)} lacks CAP_SYS_ADMIN`, 'CRI LinuxContainerSecurityContext.privileged: the container gets all capabilities', { actual: eff.toString(16) });
    },
  }),
];
