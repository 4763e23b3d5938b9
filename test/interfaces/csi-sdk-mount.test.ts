// interfaces/csi/sdk mount helpers against the real kernel: bind mount, read-only remount (EROFS),
// is-mountpoint from mountinfo (also through a symlinked path), stacked unmounts, mountsUnder,
// the bind-mount probe. Needs root: skipped otherwise, and an error under CI=true so CI cannot
// pass by skipping. Every mount is undone in after(), also when a test fails.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Status } from '../../interfaces/grpc/errors.js';
import { bindMount, bindMountProblem, isMountPoint, mountPoints, mountsUnder, unmount } from '../../interfaces/csi/sdk/index.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env.CI === 'true') throw new Error('csi-sdk-mount tests need root (bind mounts); CI must run them as root');

const t = suite(isRoot ? 'csi sdk: mounts' : 'csi sdk: mounts (skipped: needs root)');
const rt = isRoot ? t : t.skip;
let dir: string;

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'csi-sdk-mount-test-'));
});
t.after(async () => {
  try {
    for (const p of mountsUnder(dir).reverse()) await unmount(p).catch(() => undefined);
  } finally {
    assert.equal(mountsUnder(dir), [], 'no mount left behind');
    rmSync(dir, { recursive: true, force: true });
  }
});

rt('bindMount shares the files; readonly refuses writes with EROFS; unmount undoes it', async () => {
  const src = join(dir, 'src');
  const rw = join(dir, 'rw');
  const ro = join(dir, 'ro');
  for (const d of [src, rw, ro]) mkdirSync(d);
  await bindMount(src, rw, false);
  await bindMount(src, ro, true);
  assert.ok(isMountPoint(rw) && isMountPoint(ro));
  writeFileSync(join(rw, 'f'), 'shared');
  assert.is(readFileSync(join(src, 'f'), 'utf8'), 'shared');
  assert.is(readFileSync(join(ro, 'f'), 'utf8'), 'shared');
  let code: string | undefined;
  try {
    writeFileSync(join(ro, 'g'), 'x');
  } catch (e) {
    code = (e as NodeJS.ErrnoException).code;
  }
  assert.is(code, 'EROFS');
  assert.equal(mountsUnder(dir), [ro, rw]);
  await unmount(ro);
  await unmount(rw);
  assert.not.ok(isMountPoint(rw) || isMountPoint(ro));
  assert.not.ok(existsSync(join(rw, 'f')), 'the directory is empty again');
  await unmount(rw); // idempotent
});

rt('isMountPoint sees through a symlinked path; unmount removes stacked mounts', async () => {
  const src = join(dir, 'src2');
  const dst = join(dir, 'dst2');
  mkdirSync(src);
  mkdirSync(dst);
  symlinkSync(dst, join(dir, 'link'));
  await bindMount(src, dst, false);
  await bindMount(src, dst, false);
  assert.ok(isMountPoint(join(dir, 'link')));
  assert.ok(mountPoints().has(dst));
  await unmount(dst);
  assert.not.ok(isMountPoint(dst), 'both stacked mounts are gone');
});

rt("bindMount failures are INTERNAL with mount's own reason", async () => {
  let err: { code?: number; message?: string } | undefined;
  try {
    await bindMount(join(dir, 'does-not-exist'), join(dir, 'nor-this'), false);
  } catch (e) {
    err = e as typeof err;
  }
  assert.is(err?.code, Status.INTERNAL);
  assert.match(err!.message!, /bind-mounting .*does-not-exist.*: .+/);
});

rt('bindMountProblem: bind mounts work here, and the probe leaves nothing behind', async () => {
  assert.is(await bindMountProblem(dir), undefined);
  assert.equal(mountsUnder(dir), []);
});

t.run();
