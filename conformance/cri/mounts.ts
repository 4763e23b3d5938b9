// CRI mounts: host paths read and written from a container, a single file mounted, read-only
// mounts refusing writes, one host path shared by two containers, a missing host path, and the
// mounts ContainerStatus reports. Host paths are fresh directories under the suite's work dir.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectEqual, expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { caseIn } from './case.js';
import { parseLogLine, type CriEnv, type CriKit, type Pod } from './kit.js';

const c = caseIn('cri.Mounts');

const MOUNT_RULE = 'CRI Mount: host_path is bind-mounted at container_path; the container reads and writes the host\'s files there';
const RO_RULE = 'CRI Mount.readonly: the mount is read-only in the container; writes fail (EROFS) and the host path is unchanged';

/** Run `script` to completion; answers exit code and stdout. */
async function runScript(k: CriKit, pod: Pod, name: string, script: string, mounts: unknown[]) {
  const id = await k.run(pod, name, ['sh', '-c', script], { mounts } as never);
  const st = await k.waitExited(id);
  const stdout = k.logLines(st.logPath).map(parseLogLine).filter((l) => l?.stream === 'stdout').map((l) => l!.text).join('\n');
  return { exitCode: st.exitCode, stdout, status: st };
}

export const mountCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.mounts.host-path.read', name: 'A container reads a file of a host path mounted into it',
    async run(k) {
      const dir = k.hostDir();
      writeFileSync(join(dir, 'in.txt'), 'from-the-host\n');
      const pod = await k.sandbox();
      const r = await runScript(k, pod, 'reader', 'cat /mnt/triad/in.txt', [{ containerPath: '/mnt/triad', hostPath: dir }]);
      expectEqual(r.exitCode, 0, MOUNT_RULE, 'exit code of `cat /mnt/triad/in.txt`', k.ctx.lastCall);
      expectEqual(r.stdout, 'from-the-host', MOUNT_RULE, 'what the container read');
    },
  }),
  c({
    id: 'cri.mounts.host-path.write', name: 'A file a container writes into a mounted host path is on the host',
    async run(k) {
      const dir = k.hostDir();
      const pod = await k.sandbox();
      const r = await runScript(k, pod, 'writer', 'echo from-the-container > /mnt/triad/out.txt', [{ containerPath: '/mnt/triad', hostPath: dir }]);
      expectEqual(r.exitCode, 0, MOUNT_RULE, 'exit code of the write', k.ctx.lastCall);
      const file = join(dir, 'out.txt');
      expectTrue(existsSync(file), `${file} does not exist on the host after the container wrote it`, MOUNT_RULE);
      expectEqual(readFileSync(file, 'utf8'), 'from-the-container\n', MOUNT_RULE, `content of ${file} on the host`);
    },
  }),
  c({
    id: 'cri.mounts.file', name: 'A single host file mounted at a path is readable there',
    async run(k) {
      const dir = k.hostDir();
      const file = join(dir, 'triad.conf');
      writeFileSync(file, 'setting=on\n');
      const pod = await k.sandbox();
      const r = await runScript(k, pod, 'conf', 'cat /etc/triad.conf', [{ containerPath: '/etc/triad.conf', hostPath: file, readonly: true }]);
      expectEqual(r.exitCode, 0, MOUNT_RULE, 'exit code of `cat /etc/triad.conf`', k.ctx.lastCall);
      expectEqual(r.stdout, 'setting=on', `${MOUNT_RULE} (a file as well as a directory: kubelet mounts /etc/hosts and termination logs that way)`, 'what the container read');
    },
  }),
  c({
    id: 'cri.mounts.readonly', name: 'A read-only mount refuses writes and leaves the host path unchanged',
    async run(k) {
      const dir = k.hostDir();
      writeFileSync(join(dir, 'keep.txt'), 'original\n');
      const pod = await k.sandbox();
      const r = await runScript(k, pod, 'ro', 'cat /mnt/ro/keep.txt; echo changed > /mnt/ro/keep.txt || echo write-refused; touch /mnt/ro/new.txt || echo create-refused',
        [{ containerPath: '/mnt/ro', hostPath: dir, readonly: true }]);
      expectEqual(r.stdout.split('\n'), ['original', 'write-refused', 'create-refused'], RO_RULE, 'output of the read and the two writes');
      expectEqual(readFileSync(join(dir, 'keep.txt'), 'utf8'), 'original\n', RO_RULE, 'the host file after the write attempt');
      expectTrue(!existsSync(join(dir, 'new.txt')), 'the container created new.txt through a read-only mount', RO_RULE);
    },
  }),
  c({
    id: 'cri.mounts.shared', name: 'Two containers of a sandbox mounting the same host path see each other\'s files',
    async run(k) {
      const dir = k.hostDir();
      const pod = await k.sandbox();
      const m = [{ containerPath: '/shared', hostPath: dir }];
      const w = await runScript(k, pod, 'writer', 'echo handed-over > /shared/note', m);
      expectEqual(w.exitCode, 0, MOUNT_RULE, 'exit code of the writer', k.ctx.lastCall);
      const r = await runScript(k, pod, 'reader', 'cat /shared/note', m);
      expectEqual(r.stdout, 'handed-over', `${MOUNT_RULE}: two containers mounting one host path share its files (emptyDir, hostPath and CSI volumes rely on it)`, 'what the second container read');
    },
  }),
  c({
    id: 'cri.mounts.missing-host-path', name: 'A host path that does not exist is created as a directory', tags: ['Optional'],
    async run(k) {
      const dir = join(k.hostDir(), 'not', 'there', 'yet');
      const pod = await k.sandbox();
      const r = await runScript(k, pod, 'mk', 'echo made > /mnt/new/file', [{ containerPath: '/mnt/new', hostPath: dir }]);
      const rule = 'CRI Mount: containerd and CRI-O create a missing host_path as a directory (kubelet relies on it for hostPath volumes of type DirectoryOrCreate only; this is the runtime default)';
      expectEqual(r.exitCode, 0, rule, 'exit code of the write into the missing host path', k.ctx.lastCall);
      expectTrue(existsSync(dir) && statSync(dir).isDirectory(), `${dir} was not created as a directory`, rule);
    },
  }),
  c({
    id: 'cri.mounts.status', name: 'ContainerStatus reports the container\'s mounts', tags: ['Optional'],
    async run(k) {
      const dir = k.hostDir();
      const pod = await k.sandbox();
      const id = await k.create(pod, 'mounted', ['true'], { mounts: [{ containerPath: '/data', hostPath: dir, readonly: true }] });
      const st = await k.status(id);
      const m = st.mounts.find((x) => x.containerPath === '/data');
      const rule = 'CRI ContainerStatus.mounts: the mounts of the container (kubelet shows them in describe)';
      if (!m) {
        if (!st.mounts.length) k.ctx.notApplicable('the runtime reports no mounts in ContainerStatus');
        expectTrue(m, 'ContainerStatus.mounts has no /data', rule, { call: k.ctx.lastCall, actual: st.mounts });
      }
      expectEqual(m.hostPath, dir, rule, 'mounts[/data].host_path', k.ctx.lastCall);
      expectEqual(m.readonly, true, rule, 'mounts[/data].readonly', k.ctx.lastCall);
    },
  }),
];
