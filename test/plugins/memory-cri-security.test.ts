// memory-cri's kernel view follows the security context as a client observes it: RunAsGroup needs
// a user; masked and read-only paths; seccomp (unset/Unconfined → Seccomp: 0, RuntimeDefault and
// Localhost → 2; a Localhost profile denying chmod or sethostname makes them fail with EPERM,
// except in a privileged container); sethostname needs SYS_ADMIN; the pod's sysctls under
// /proc/sys; SupplementalGroupsPolicy Merge/Strict with the image's /etc/group.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { ContainerFs } from '../../plugins/memory-cri/sim/index.js';
import { nodeSubmounts } from '../../plugins/memory-cri/sim/mounts.js';
import { join } from 'node:path';
import { ContainerState, SecurityProfile_ProfileType, SupplementalGroupsPolicy } from '../../interfaces/gen/cri/api.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor, type TestRuntime } from '../../plugins/memory-cri/testing.js';

const t = suite('memory-cri: security context as the kernel shows it');
let h: TestRuntime;
const IMAGE = 'registry.example.com/groups:1';

t.before(async () => {
  h = await startTestRuntime({
    images: [
      {
        repository: 'registry.example.com/groups',
        tags: ['1'],
        size: 1024,
        users: { 'default-user': { uid: 1000, gid: 1000, groups: ['group-defined-in-image'] } },
        groups: { 'group-defined-in-image': 50000 },
      },
    ],
  });
  await h.client.image.pullImage({ image: { image: 'busybox' } });
  await h.client.image.pullImage({ image: { image: IMAGE } });
});
t.after(async () => {
  await h?.close();
});

async function run(name: string, sc: Record<string, unknown>, o: { pod?: Record<string, unknown>; image?: string; cmd?: string[] } = {}) {
  const sandboxConfig = podConfig(o.pod ?? {});
  const { podSandboxId } = await h.client.runtime.runPodSandbox({ config: sandboxConfig });
  const { containerId } = await h.client.runtime.createContainer({
    podSandboxId,
    sandboxConfig,
    config: ctrConfig(name, o.cmd ?? ['sleep', '1000'], { image: { image: o.image ?? 'busybox' }, linux: { securityContext: sc } }),
  });
  await h.client.runtime.startContainer({ containerId });
  await waitFor(async () => (await h.client.runtime.containerStatus({ containerId })).status!.state === ContainerState.CONTAINER_RUNNING, 3000, 'running');
  const exec = async (cmd: string[]) => {
    const r = await h.client.runtime.execSync({ containerId, cmd, timeout: 5n });
    return { code: r.exitCode, out: Buffer.from(r.stdout).toString(), err: Buffer.from(r.stderr).toString() };
  };
  return { id: containerId, exec };
}

t('RunAsGroup without RunAsUser or RunAsUsername is rejected (api.proto); with one it applies', async () => {
  const sandboxConfig = podConfig();
  const { podSandboxId } = await h.client.runtime.runPodSandbox({ config: sandboxConfig });
  const err = await h.client.runtime
    .createContainer({ podSandboxId, sandboxConfig, config: ctrConfig('rag', ['id'], { linux: { securityContext: { runAsGroup: { value: 2000n } } } }) })
    .catch((e: Error) => e);
  assert.instance(err, Error);
  assert.match((err as Error).message, /user group "2000" is specified without user/);
  const c = await run('rag-ok', { runAsUser: { value: 1000n }, runAsGroup: { value: 2000n } });
  assert.is((await c.exec(['sh', '-c', 'echo $(id -u):$(id -g)'])).out, '1000:2000\n');
});

t('MaskedPaths: a masked program cannot run; ReadonlyPaths: writes fail with EROFS', async () => {
  const m = await run('masked', { maskedPaths: ['/bin/ls', '/etc'] });
  const ls = await m.exec(['/bin/sh', '-c', 'ls']);
  assert.equal([ls.code, ls.err], [126, '/bin/sh: ls: Permission denied\n']);
  assert.is((await m.exec(['cat', '/bin/ls'])).out, '', 'a masked file reads as /dev/null');
  const direct = await m.exec(['ls', '/etc']).catch((e: Error) => e);
  assert.match((direct as Error).message, /exec: "\/bin\/ls": permission denied/, 'exec without a shell fails as runc does');
  assert.is((await m.exec(['sh', '-c', 'cat /etc/passwd'])).code, 1, 'a masked directory is empty');
  assert.match((await m.exec(['touch', '/etc/x'])).err, /Read-only file system/);
  const r = await run('ro', { readonlyPaths: ['/tmp'] });
  const touch = await r.exec(['touch', '/tmp/test']);
  assert.equal([touch.code, touch.err], [1, 'touch: /tmp/test: Read-only file system\n']);
  assert.is((await r.exec(['touch', '/root/ok'])).code, 0);
});

t('seccomp: Seccomp: in /proc/self/status; a Localhost profile decides chmod and sethostname', async () => {
  const mode = async (sc: Record<string, unknown>) => (await (await run('sc', sc)).exec(['grep', 'Seccomp:', '/proc/self/status'])).out;
  assert.is(await mode({}), 'Seccomp:\t0\n', 'unset is unconfined');
  assert.is(await mode({ seccomp: { profileType: SecurityProfile_ProfileType.Unconfined } }), 'Seccomp:\t0\n');
  assert.is(await mode({ seccomp: { profileType: SecurityProfile_ProfileType.RuntimeDefault } }), 'Seccomp:\t2\n');
  assert.is(await mode({ seccompProfilePath: 'runtime/default' }), 'Seccomp:\t2\n', 'the legacy path form');
  const chmodProfile = join(h.dir, 'block-chmod.json');
  writeFileSync(
    chmodProfile,
    JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [process.arch === 'x64' ? 'chmod' : 'fchmodat'], action: 'SCMP_ACT_ERRNO' }] }),
  );
  const blocked = await run('chmod', { seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: chmodProfile } });
  const ch = await blocked.exec(['chmod', '400', '/']);
  assert.equal([ch.code, ch.err], [1, 'chmod: /: Operation not permitted\n']);
  assert.is((await blocked.exec(['grep', 'Seccomp:', '/proc/self/status'])).out, 'Seccomp:\t2\n');
  assert.is((await (await run('chmod-ok', {})).exec(['chmod', '400', '/'])).code, 0);

  const hostProfile = join(h.dir, 'block-hostname.json');
  writeFileSync(hostProfile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['sethostname'], action: 'SCMP_ACT_ERRNO' }] }));
  const sysAdmin = { capabilities: { addCapabilities: ['SYS_ADMIN'] } };
  assert.is(
    (await (await run('h1', { ...sysAdmin, seccomp: { profileType: SecurityProfile_ProfileType.Unconfined } })).exec(['hostname', 'ANewHostName'])).code,
    0,
  );
  const h2 = await (
    await run('h2', { ...sysAdmin, seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: hostProfile } })
  ).exec(['hostname', 'ANewHostName']);
  assert.equal([h2.code, h2.err], [1, 'hostname: sethostname: Operation not permitted\n']);
  assert.is(
    (
      await (
        await run(
          'h3',
          { privileged: true, seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: hostProfile } },
          { pod: { linux: { securityContext: { privileged: true } } } },
        )
      ).exec(['hostname', 'ANewHostName'])
    ).code,
    0,
    'privileged: no filter',
  );
  const noCap = await (await run('h4', {})).exec(['sh', '-c', 'hostname x; hostname']);
  assert.match(noCap.err, /sethostname: Operation not permitted/);
  const set = await (await run('h5', sysAdmin)).exec(['sh', '-c', 'hostname changed && hostname']);
  assert.is(set.out, 'changed\n');

  const sandboxConfig = podConfig();
  const { podSandboxId } = await h.client.runtime.runPodSandbox({ config: sandboxConfig });
  const bad = await h.client.runtime
    .createContainer({
      podSandboxId,
      sandboxConfig,
      config: ctrConfig('bad', ['true'], {
        linux: { securityContext: { seccomp: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: '/nonexistent/profile.json' } } },
      }),
    })
    .catch((e: Error) => e);
  assert.match((bad as Error).message, /cannot load seccomp profile "\/nonexistent\/profile.json"/);
});

t('sysctls of the pod read under /proc/sys', async () => {
  const c = await run('sysctl', {}, { pod: { linux: { sysctls: { 'kernel.shm_rmid_forced': '1', 'net/ipv4/ip_local_port_range': '1024 65000' } } } });
  assert.is((await c.exec(['cat', '/proc/sys/kernel/shm_rmid_forced'])).out, '1\n');
  assert.is((await c.exec(['cat', '/proc/sys/net/ipv4/ip_local_port_range'])).out, '1024 65000\n');
});

t("SupplementalGroupsPolicy: Merge adds the image's /etc/group membership, Strict does not", async () => {
  const base = { runAsUser: { value: 1000n }, supplementalGroups: [1234n] };
  const merge = await run('merge', base, { image: IMAGE, cmd: ['sh', '-c', 'id -G; sleep 1000'] });
  assert.is((await merge.exec(['id', '-G'])).out, '1000 1234 50000\n');
  const ms = (await h.client.runtime.containerStatus({ containerId: merge.id })).status!.user!.linux!;
  assert.equal([ms.uid, ms.gid, [...ms.supplementalGroups].sort()], [1000n, 1000n, [1000n, 1234n, 50000n]]);
  const strict = await run('strict', { ...base, supplementalGroupsPolicy: SupplementalGroupsPolicy.Strict }, { image: IMAGE });
  assert.is((await strict.exec(['id', '-G'])).out, '1000 1234\n');
  const ss = (await h.client.runtime.containerStatus({ containerId: strict.id })).status!.user!.linux!;
  assert.equal([...ss.supplementalGroups].sort(), [1000n, 1234n]);
});

t('a read-only mount is not recursive: a node mount point under its host path stays writable', async () => {
  assert.ok(nodeSubmounts('/').includes('/proc'), 'reads the node mount table');
  assert.equal(nodeSubmounts('/definitely/not/mounted'), []);
  const dir = mkdtempSync(join(h.dir, 'rro-'));
  mkdirSync(join(dir, 'tmpfs'));
  const fs = new ContainerFs({ mounts: [{ containerPath: '/mnt', hostPath: dir, readonly: true, submounts: [join(dir, 'tmpfs')] }] });
  fs.writeFile('/mnt/tmpfs/file', 'ok');
  assert.is(readFileSync(join(dir, 'tmpfs/file'), 'utf8'), 'ok');
  assert.throws(() => fs.writeFile('/mnt/other', 'no'), /Read-only file system/);
  const rro = new ContainerFs({ mounts: [{ containerPath: '/mnt', hostPath: dir, readonly: true, submounts: [join(dir, 'tmpfs')], recursiveReadonly: true }] });
  assert.throws(() => rro.writeFile('/mnt/tmpfs/foo', 'no'), /Read-only file system/, 'recursive_read_only reaches submounts');
  assert.is(rro.readFile('/mnt/tmpfs/file').toString(), 'ok');
});

t('recursive_read_only: Status reports the feature; it needs readonly and private propagation', async () => {
  const st = await h.client.runtime.status({});
  assert.ok(st.runtimeHandlers.every((x) => x.features?.recursiveReadOnlyMounts));
  const sandboxConfig = podConfig();
  const { podSandboxId } = await h.client.runtime.runPodSandbox({ config: sandboxConfig });
  const create = (m: Record<string, unknown>) =>
    h.client.runtime
      .createContainer({
        podSandboxId,
        sandboxConfig,
        config: ctrConfig(`rro-${Math.random()}`, ['true'], { mounts: [{ hostPath: h.dir, containerPath: '/mnt', ...m }] }),
      })
      .then(
        () => 'ok',
        (e: Error) => e.message,
      );
  assert.match(await create({ readonly: false, recursiveReadOnly: true }), /recursive_read_only needs readonly/);
  assert.match(await create({ readonly: true, recursiveReadOnly: true, propagation: 1 }), /needs propagation PROPAGATION_PRIVATE/);
  assert.is(await create({ readonly: true, recursiveReadOnly: true }), 'ok');
});

t('mount propagation: with PRIVATE, a node mount made under the host path after the container was made is not seen', async () => {
  // the node's /proc is a mount point under /; a snapshot without it stands for "mounted later"
  const later = new ContainerFs({ mounts: [{ containerPath: '/host', hostPath: '/', readonly: false, submounts: [], private: true }] });
  assert.equal(later.readdir('/host/proc'), [], 'an empty mount point');
  assert.not.ok(later.stat('/host/proc/self/status'));
  const slave = new ContainerFs({ mounts: [{ containerPath: '/host', hostPath: '/', readonly: false, submounts: [] }] });
  assert.ok(slave.readdir('/host/proc').includes('self'), 'HOST_TO_CONTAINER / BIDIRECTIONAL see it');
  const known = new ContainerFs({ mounts: [{ containerPath: '/host', hostPath: '/', readonly: false, submounts: nodeSubmounts('/'), private: true }] });
  assert.ok(known.readdir('/host/proc').includes('self'), 'mounts that existed at create are seen');
});

t.run();
