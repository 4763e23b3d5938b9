// CRI security context as the process sees it: run as user / group / supplemental groups / user
// name, a read-only root filesystem, the capabilities of a default container (not privileged),
// added and dropped capabilities, no_new_privs and privileged containers. The process's view
// comes from `id` and /proc/self/status (CapEff, NoNewPrivs).
import { expectEqual, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { EXIT, POD, RUN, expectRefused, parseLogLine, type CriEnv, CriKit } from './kit.js';

const c = defineCases(CriKit, 'cri.Security');

const CAP = { CHOWN: 0, NET_ADMIN: 12, NET_RAW: 13, SYS_ADMIN: 21, SYS_MODULE: 16, SYS_TIME: 25 } as const;

/** Run `script` in a fresh sandbox (with `sandboxSc` as its security context) and answer its stdout lines. */
async function outputOf(
  k: CriKit,
  script: string,
  securityContext: Record<string, unknown>,
  rule: string,
  sandboxSc?: Record<string, unknown>,
): Promise<string[]> {
  const pod = await k.sandbox(sandboxSc ? { linux: { securityContext: sandboxSc } } : {});
  const id = await k.run(pod, 'probe', ['sh', '-c', script], { linux: { securityContext } } as never);
  const st = await k.waitExited(id);
  const out = k
    .logLines(st.logPath)
    .map(parseLogLine)
    .filter((l) => l?.stream === 'stdout')
    .map((l) => l!.text);
  if (st.exitCode !== 0) fail(`\`${script}\` exited ${st.exitCode} (stdout ${JSON.stringify(out)})`, { rule, actual: out });
  return out;
}

/** The effective capability set from /proc/self/status. */
async function capEff(k: CriKit, securityContext: Record<string, unknown>, rule: string, sandboxSc?: Record<string, unknown>): Promise<bigint> {
  const out = await outputOf(k, 'grep CapEff /proc/self/status', securityContext, rule, sandboxSc);
  const m = /^CapEff:\s*([0-9a-fA-F]+)$/.exec(out[0] ?? '');
  if (!m) fail(`no CapEff line in /proc/self/status: ${JSON.stringify(out)}`, { rule });
  return BigInt(`0x${m[1]}`);
}

const has = (mask: bigint, bit: number) => ((mask >> BigInt(bit)) & 1n) === 1n;

/** CreateContainer with `securityContext` fails, or StartContainer of what it created does: the runtime refused. */
async function refusedToRun(k: CriKit, name: string, securityContext: Record<string, unknown>, rule: string, what: string): Promise<void> {
  const pod = await k.sandbox();
  const p = k.runtime.createContainer({
    podSandboxId: pod.id,
    config: k.containerConfig(name, ['id'], { linux: { securityContext } } as never),
    sandboxConfig: pod.config,
  });
  const id = await p.then(
    (r) => r.containerId,
    () => undefined,
  );
  if (!id) return;
  k.trackContainer(id);
  await expectRefused(k.runtime.startContainer({ containerId: id }), { rule, what: `CreateContainer and StartContainer of ${what}` });
}

export const securityCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.security.run-as-user',
    rpc: 'CreateContainer',
    name: "run_as_user sets the process's uid",
    rules: [...POD, ...RUN, ...EXIT, 'cri.security.run-as-user'],
    async run(k) {
      const rule = 'cri.security.run-as-user';
      const out = await outputOf(k, 'id -u', { runAsUser: { value: 1234n } }, rule);
      expectEqual(out, ['1234'], { rule, what: 'output of `id -u`' });
    },
  }),
  c({
    id: 'cri.security.run-as-group',
    rpc: 'CreateContainer',
    name: "run_as_group sets the process's primary gid",
    rules: [...POD, ...RUN, ...EXIT, 'cri.security.run-as-group'],
    async run(k) {
      const rule = 'cri.security.run-as-group';
      const out = await outputOf(k, 'id -u; id -g', { runAsUser: { value: 1234n }, runAsGroup: { value: 5678n } }, rule);
      expectEqual(out, ['1234', '5678'], { rule, what: 'output of `id -u; id -g`' });
    },
  }),
  c({
    id: 'cri.security.supplemental-groups',
    rpc: 'CreateContainer',
    name: "supplemental_groups are the process's additional groups",
    rules: [...POD, ...RUN, ...EXIT, 'cri.security.supplemental-groups'],
    async run(k) {
      const rule = 'cri.security.supplemental-groups';
      const out = await outputOf(k, 'id -G', { runAsUser: { value: 1234n }, runAsGroup: { value: 5678n }, supplementalGroups: [4242n, 4343n] }, rule);
      const groups = (out[0] ?? '').split(/\s+/).filter(Boolean);
      for (const g of ['5678', '4242', '4343']) {
        expectTrue(groups.includes(g), `\`id -G\` is ${JSON.stringify(out[0])}, without ${g}`, { rule, actual: out });
      }
    },
  }),
  c({
    id: 'cri.security.run-as-username',
    rpc: 'CreateContainer',
    name: 'run_as_username runs the process as that user of the image',
    rules: [...POD, ...RUN, ...EXIT, 'cri.security.run-as-username'],
    async run(k) {
      const rule = 'cri.security.run-as-username';
      const out = await outputOf(k, 'id -u', { runAsUsername: 'nobody' }, rule);
      expectEqual(out, ['65534'], { rule, what: 'output of `id -u` as nobody (65534 in busybox-like images)' });
    },
  }),
  c({
    id: 'cri.security.readonly-rootfs',
    rpc: 'CreateContainer',
    name: 'readonly_rootfs refuses writes to the root filesystem but not to a writable mount',
    rules: [...POD, ...RUN, ...EXIT, 'cri.security.readonly-rootfs'],
    async run(k) {
      const dir = k.hostDir();
      const pod = await k.sandbox();
      const id = await k.run(
        pod,
        'ro',
        ['sh', '-c', 'touch /triad-rootfs-file && echo rootfs-written || echo rootfs-refused; echo ok > /scratch/f && echo mount-written'],
        { linux: { securityContext: { readonlyRootfs: true } }, mounts: [{ containerPath: '/scratch', hostPath: dir }] } as never,
      );
      const st = await k.waitExited(id);
      const out = k
        .logLines(st.logPath)
        .map(parseLogLine)
        .filter((l) => l?.stream === 'stdout')
        .map((l) => l!.text);
      expectEqual(out, ['rootfs-refused', 'mount-written'], { rule: 'cri.security.readonly-rootfs', what: 'output of the two writes' });
    },
  }),
  c({
    id: 'cri.security.default-capabilities',
    rpc: 'CreateContainer',
    name: 'A default container is not privileged: no CAP_SYS_ADMIN, CAP_NET_ADMIN or CAP_SYS_MODULE',
    rules: [...POD, ...RUN, ...EXIT, 'cri.security.default-capabilities'],
    async run(k) {
      const rule = 'cri.security.default-capabilities';
      const eff = await capEff(k, {}, rule);
      expectTrue(eff !== 0n, 'a root process of a default container has no capabilities at all', { rule, actual: eff.toString(16) });
      for (const [name, bit] of [
        ['SYS_ADMIN', CAP.SYS_ADMIN],
        ['NET_ADMIN', CAP.NET_ADMIN],
        ['SYS_MODULE', CAP.SYS_MODULE],
        ['SYS_TIME', CAP.SYS_TIME],
      ] as const) {
        expectTrue(!has(eff, bit), `CapEff ${eff.toString(16)} has CAP_${name}`, { rule, actual: eff.toString(16) });
      }
    },
  }),
  c({
    id: 'cri.security.add-capability',
    rpc: 'CreateContainer',
    name: 'capabilities.add_capabilities adds CAP_NET_ADMIN',
    rules: [...POD, ...RUN, ...EXIT, 'cri.capability.add'],
    async run(k) {
      const rule = 'cri.capability.add';
      const eff = await capEff(k, { capabilities: { addCapabilities: ['NET_ADMIN'] } }, rule);
      expectTrue(has(eff, CAP.NET_ADMIN), `CapEff ${eff.toString(16)} lacks CAP_NET_ADMIN`, { rule, actual: eff.toString(16) });
    },
  }),
  c({
    id: 'cri.security.drop-capability',
    rpc: 'CreateContainer',
    name: 'capabilities.drop_capabilities removes CAP_CHOWN and CAP_NET_RAW',
    rules: [...POD, ...RUN, ...EXIT, 'cri.capability.drop'],
    async run(k) {
      const rule = 'cri.capability.drop';
      const eff = await capEff(k, { capabilities: { dropCapabilities: ['CHOWN', 'NET_RAW'] } }, rule);
      expectTrue(!has(eff, CAP.CHOWN), `CapEff ${eff.toString(16)} still has CAP_CHOWN`, { rule, actual: eff.toString(16) });
      expectTrue(!has(eff, CAP.NET_RAW), `CapEff ${eff.toString(16)} still has CAP_NET_RAW`, { rule, actual: eff.toString(16) });
    },
  }),
  c({
    id: 'cri.security.non-root-no-capabilities',
    rpc: 'CreateContainer',
    name: 'A process running as a non-root user has no effective capabilities',
    tags: ['Optional'],
    rules: [...POD, ...RUN, ...EXIT, 'cri.security.non-root-no-capabilities'],
    async run(k) {
      const rule = 'cri.security.non-root-no-capabilities';
      const eff = await capEff(k, { runAsUser: { value: 1234n } }, rule);
      expectEqual(eff, 0n, { rule, what: 'CapEff as uid 1234' });
    },
  }),
  c({
    id: 'cri.security.no-new-privs',
    rpc: 'CreateContainer',
    name: "no_new_privs sets the process's NoNewPrivs flag",
    rules: [...POD, ...RUN, ...EXIT, 'cri.security.no-new-privs'],
    async run(k) {
      const rule = 'cri.security.no-new-privs';
      const out = await outputOf(k, 'grep NoNewPrivs /proc/self/status', { noNewPrivs: true }, rule);
      expectEqual((out[0] ?? '').replace(/\s+/g, ' '), 'NoNewPrivs: 1', { rule, what: 'the NoNewPrivs line of /proc/self/status' });
    },
  }),
  c({
    id: 'cri.security.privileged',
    rpc: 'CreateContainer',
    name: 'A privileged container in a privileged sandbox has CAP_SYS_ADMIN',
    rules: [...POD, ...RUN, ...EXIT, 'cri.security.privileged'],
    async run(k) {
      const rule = 'cri.security.privileged';
      const eff = await capEff(k, { privileged: true }, rule, { privileged: true });
      expectTrue(has(eff, CAP.SYS_ADMIN), `CapEff ${eff.toString(16)} lacks CAP_SYS_ADMIN`, { rule, actual: eff.toString(16) });
    },
  }),
  c({
    id: 'cri.security.sandbox-context-not-inherited',
    rpc: 'CreateContainer',
    name: "A container without a security context of its own does not take its sandbox's (run_as_user, readonly_rootfs)",
    rules: [...POD, ...RUN, ...EXIT, 'cri.sandbox-security.not-for-containers'],
    async run(k) {
      const rule = 'cri.sandbox-security.not-for-containers';
      const out = await outputOf(k, 'id -u; touch /triad-rootfs-file && echo rootfs-writable', {}, rule, { runAsUser: { value: 4321n }, readonlyRootfs: true });
      expectEqual(out, ['0', 'rootfs-writable'], {
        rule,
        what: 'uid and root filesystem of the container (its sandbox runs as 4321 with a read-only root filesystem)',
      });
    },
  }),
  c({
    id: 'cri.security.sandbox-run-as-group-needs-user',
    rpc: 'RunPodSandbox',
    name: 'RunPodSandbox with run_as_group but no run_as_user fails',
    rules: ['cri.sandbox-security.run-as-group-needs-user'],
    async run(k) {
      const config = k.podConfig({ linux: { securityContext: { runAsGroup: { value: 5678n } } } });
      await expectRefused(k.runtime.runPodSandbox({ config }), {
        rule: 'cri.sandbox-security.run-as-group-needs-user',
        what: 'RunPodSandbox with run_as_group and no run_as_user',
        created: (res) => k.trackSandbox(res.podSandboxId, config),
      });
    },
  }),
  c({
    id: 'cri.security.run-as-group-needs-user',
    rpc: 'CreateContainer',
    name: 'A container with run_as_group but neither run_as_user nor run_as_username does not run',
    rules: [...POD, 'cri.security.run-as-group-needs-user'],
    async run(k) {
      await refusedToRun(k, 'grp', { runAsGroup: { value: 5678n } }, 'cri.security.run-as-group-needs-user', 'a container with run_as_group and no user');
    },
  }),
  c({
    id: 'cri.security.run-as-username-missing',
    rpc: 'CreateContainer',
    name: 'A container whose run_as_username the image does not have does not run',
    rules: [...POD, 'cri.security.run-as-username-missing'],
    async run(k) {
      await refusedToRun(
        k,
        'ghost',
        { runAsUsername: `triad-no-such-user-${k.ctx.seq}` },
        'cri.security.run-as-username-missing',
        'a container running as a user the image lacks',
      );
    },
  }),
];
