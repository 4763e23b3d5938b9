// CRI mounts: host paths read and written from a container, a single file mounted, read-only
// mounts refusing writes, one host path shared by two containers, a missing host path (an error,
// api.proto says), a host path that is a symlink, and the mounts ContainerStatus reports. Host
// paths are fresh directories under the suite's work dir.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectEqual, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { CREATE, EXIT, POD, RULES, RUN, parseLogLine, type CriEnv, CriKit, type Pod } from './kit.js';

const c = defineCases(CriKit, 'cri.Mounts');

const MOUNT_RULE = 'cri.mount.host-path';
const RO_RULE = 'cri.mount.readonly';
/** What runScript asserts. */
const SCRIPT = [...POD, ...RUN, ...EXIT];

/** Run `script` to completion; answers exit code and stdout. */
async function runScript(k: CriKit, pod: Pod, name: string, script: string, mounts: unknown[]) {
  const id = await k.run(pod, name, ['sh', '-c', script], { mounts } as never);
  const st = await k.waitExited(id);
  const stdout = k
    .logLines(st.logPath)
    .map(parseLogLine)
    .filter((l) => l?.stream === 'stdout')
    .map((l) => l!.text)
    .join('\n');
  return { exitCode: st.exitCode, stdout, status: st };
}

export const mountCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.mounts.host-path.read',
    rpc: 'CreateContainer',
    name: 'A container reads a file of a host path mounted into it',
    rules: [...SCRIPT, MOUNT_RULE],
    async run(k) {
      const dir = k.hostDir();
      writeFileSync(join(dir, 'in.txt'), 'from-the-host\n');
      const pod = await k.sandbox();
      const r = await runScript(k, pod, 'reader', 'cat /mnt/triad/in.txt', [{ containerPath: '/mnt/triad', hostPath: dir }]);
      expectEqual(r.exitCode, 0, { rule: MOUNT_RULE, what: 'exit code of `cat /mnt/triad/in.txt`', call: k.ctx.lastCall });
      expectEqual(r.stdout, 'from-the-host', { rule: MOUNT_RULE, what: 'what the container read' });
    },
  }),
  c({
    id: 'cri.mounts.host-path.write',
    rpc: 'CreateContainer',
    name: 'A file a container writes into a mounted host path is on the host',
    rules: [...SCRIPT, MOUNT_RULE],
    async run(k) {
      const dir = k.hostDir();
      const pod = await k.sandbox();
      const r = await runScript(k, pod, 'writer', 'echo from-the-container > /mnt/triad/out.txt', [{ containerPath: '/mnt/triad', hostPath: dir }]);
      expectEqual(r.exitCode, 0, { rule: MOUNT_RULE, what: 'exit code of the write', call: k.ctx.lastCall });
      const file = join(dir, 'out.txt');
      expectTrue(existsSync(file), `${file} does not exist on the host after the container wrote it`, { rule: MOUNT_RULE });
      expectEqual(readFileSync(file, 'utf8'), 'from-the-container\n', { rule: MOUNT_RULE, what: `content of ${file} on the host` });
    },
  }),
  c({
    id: 'cri.mounts.file',
    rpc: 'CreateContainer',
    name: 'A single host file mounted at a path is readable there',
    rules: [...SCRIPT, MOUNT_RULE],
    async run(k) {
      const dir = k.hostDir();
      const file = join(dir, 'triad.conf');
      writeFileSync(file, 'setting=on\n');
      const pod = await k.sandbox();
      const r = await runScript(k, pod, 'conf', 'cat /etc/triad.conf', [{ containerPath: '/etc/triad.conf', hostPath: file, readonly: true }]);
      expectEqual(r.exitCode, 0, { rule: MOUNT_RULE, what: 'exit code of `cat /etc/triad.conf`', call: k.ctx.lastCall });
      expectEqual(r.stdout, 'setting=on', { rule: MOUNT_RULE, what: 'what the container read' });
    },
  }),
  c({
    id: 'cri.mounts.readonly',
    rpc: 'CreateContainer',
    name: 'A read-only mount refuses writes and leaves the host path unchanged',
    rules: [...SCRIPT, RO_RULE],
    async run(k) {
      const dir = k.hostDir();
      writeFileSync(join(dir, 'keep.txt'), 'original\n');
      const pod = await k.sandbox();
      const r = await runScript(
        k,
        pod,
        'ro',
        'cat /mnt/ro/keep.txt; echo changed > /mnt/ro/keep.txt || echo write-refused; touch /mnt/ro/new.txt || echo create-refused',
        [{ containerPath: '/mnt/ro', hostPath: dir, readonly: true }],
      );
      expectEqual(r.stdout.split('\n'), ['original', 'write-refused', 'create-refused'], { rule: RO_RULE, what: 'output of the read and the two writes' });
      expectEqual(readFileSync(join(dir, 'keep.txt'), 'utf8'), 'original\n', { rule: RO_RULE, what: 'the host file after the write attempt' });
      expectTrue(!existsSync(join(dir, 'new.txt')), 'the container created new.txt through a read-only mount', { rule: RO_RULE });
    },
  }),
  c({
    id: 'cri.mounts.shared',
    rpc: 'CreateContainer',
    name: "Two containers of a sandbox mounting the same host path see each other's files",
    rules: [...SCRIPT, MOUNT_RULE],
    async run(k) {
      const dir = k.hostDir();
      const pod = await k.sandbox();
      const m = [{ containerPath: '/shared', hostPath: dir }];
      const w = await runScript(k, pod, 'writer', 'echo handed-over > /shared/note', m);
      expectEqual(w.exitCode, 0, { rule: MOUNT_RULE, what: 'exit code of the writer', call: k.ctx.lastCall });
      const r = await runScript(k, pod, 'reader', 'cat /shared/note', m);
      expectEqual(r.stdout, 'handed-over', { rule: MOUNT_RULE, what: 'what the second container read' });
    },
  }),
  c({
    id: 'cri.mounts.missing-host-path',
    rpc: 'CreateContainer',
    name: 'A mount of a host path that does not exist is an error; the path is not created',
    tags: ['Optional'],
    rules: [...POD, 'cri.mount.host-path-missing'],
    async run(k) {
      const dir = join(k.hostDir(), 'not', 'there', 'yet');
      const pod = await k.sandbox();
      const rule = 'cri.mount.host-path-missing';
      const p = k.runtime.createContainer({
        podSandboxId: pod.id,
        config: k.containerConfig('mk', ['true'], { mounts: [{ containerPath: '/mnt/new', hostPath: dir }] }),
        sandboxConfig: pod.config,
      });
      const id = await p.then(
        (r) => r.containerId,
        () => undefined,
      );
      if (id) {
        k.trackContainer(id);
        const s = k.runtime.startContainer({ containerId: id });
        if (
          await s.then(
            () => true,
            () => false,
          )
        ) {
          fail(`a container mounting the missing host path ${dir} was created and started${existsSync(dir) ? ': the runtime created the directory' : ''}`, {
            rule,
            call: s,
          });
        }
      }
      expectTrue(!existsSync(dir), `the runtime refused the mount but created ${dir}`, { rule });
    },
  }),
  c({
    id: 'cri.mounts.status',
    rpc: 'ContainerStatus',
    name: "ContainerStatus reports the container's mounts",
    tags: ['Optional'],
    rules: [...POD, ...CREATE, RULES.statusOk, 'cri.container-status.mounts'],
    async run(k) {
      const dir = k.hostDir();
      const pod = await k.sandbox();
      const id = await k.create(pod, 'mounted', ['true'], { mounts: [{ containerPath: '/data', hostPath: dir, readonly: true }] });
      const st = await k.status(id);
      const m = st.mounts.find((x) => x.containerPath === '/data');
      const rule = 'cri.container-status.mounts';
      if (!m) {
        if (!st.mounts.length) k.ctx.notApplicable('the runtime reports no mounts in ContainerStatus');
        expectTrue(m, 'ContainerStatus.mounts has no /data', { rule, call: k.ctx.lastCall, actual: st.mounts });
      }
      expectEqual(m.hostPath, dir, { rule, what: 'mounts[/data].host_path', call: k.ctx.lastCall });
      expectEqual(m.readonly, true, { rule, what: 'mounts[/data].readonly', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.mounts.host-path.symlink',
    rpc: 'CreateContainer',
    name: "A host path that is a symbolic link mounts the link's target",
    tags: ['Optional'],
    rules: [...SCRIPT, 'cri.mount.host-path-symlink'],
    async run(k) {
      const dir = k.hostDir();
      const target = join(dir, 'target');
      mkdirSync(target);
      writeFileSync(join(target, 'in.txt'), 'via-the-link\n');
      const link = join(dir, 'link');
      symlinkSync(target, link);
      const pod = await k.sandbox();
      const rule = 'cri.mount.host-path-symlink';
      const r = await runScript(k, pod, 'linked', 'cat /mnt/linked/in.txt', [{ containerPath: '/mnt/linked', hostPath: link }]);
      expectEqual(r.exitCode, 0, { rule, what: 'exit code of `cat /mnt/linked/in.txt`', call: k.ctx.lastCall });
      expectEqual(r.stdout, 'via-the-link', { rule, what: 'what the container read through the mounted link' });
    },
  }),
];
