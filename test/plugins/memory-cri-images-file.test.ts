// memory-cri images files (plugins/memory-cri/image-file.ts): the example file loads; every kind
// of bad file or entry is an error naming the file, the entry (index and repository) and the
// field; a custom image is pulled by tag, by digest and by id, listed, and runs containers with
// its config, files, users and group memberships (`id` shows the supplementary group).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerState } from '../../interfaces/gen/cri/api.js';
import { triadRoot } from '../../interfaces/util/root.js';
import { ImageFileError, loadImageFile, parseImageList } from '../../plugins/memory-cri/image-file.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor, type TestRuntime } from '../../plugins/memory-cri/testing.js';

const t = suite('memory-cri: images file');
const EXAMPLE = join(triadRoot(), 'examples/images.yaml');
let dir: string;
let h: TestRuntime | undefined;

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'memory-cri-images-'));
});
t.after(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** parseImageList on one entry must fail with a message matching every pattern. */
function rejects(entry: unknown, ...patterns: RegExp[]) {
  let err: unknown;
  try {
    parseImageList([{ repository: 'example.com/ok', tags: ['1'] }, entry], 'imgs.yaml');
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ImageFileError, `expected an ImageFileError for ${JSON.stringify(entry)}`);
  const msg = (err as Error).message;
  assert.ok(msg.startsWith('imgs.yaml: images[1]'), msg);
  for (const p of patterns) assert.match(msg, p);
}

t('the example file loads: busybox applets unless busybox: false, executables added, users and groups kept', () => {
  const imgs = loadImageFile(EXAMPLE);
  assert.is(imgs.length >= 2, true);
  const app = imgs.find((i) => i.repository === 'registry.example.com/team/app')!;
  assert.is(app.executables?.['/bin/sh'], 'sh');
  assert.equal(app.users?.app, { uid: 1000, gid: 1000, groups: ['shared'] });
  const web = imgs.find((i) => i.repository === 'registry.example.com/tools/static-web')!;
  assert.equal(web.executables, { '/bin/httpd': 'httpd' });
  const greeter = imgs.find((i) => i.repository === 'registry.example.com/demo/greeter')!;
  assert.is(greeter.executables?.['/usr/local/bin/greeter'], 'grpc-health');
});

t('file errors: missing, unreadable YAML, not a list', () => {
  assert.throws(
    () => loadImageFile(join(dir, 'nope.yaml')),
    (e: Error) => e instanceof ImageFileError && e.message.includes(join(dir, 'nope.yaml')) && /cannot read images file/.test(e.message),
  );
  const bad = write('bad.yaml', '- repository: x\n  tags: [1\n');
  assert.throws(
    () => loadImageFile(bad),
    (e: Error) => e.message.startsWith(`${bad}: invalid YAML (line`),
  );
  const map = write('map.yaml', 'images: []\n');
  assert.throws(
    () => loadImageFile(map),
    (e: Error) => e.message === `${map}: must be a list of images (got a mapping)`,
  );
  assert.equal(loadImageFile(write('empty.yaml', '')), []);
});

t('entry errors name the index, the repository and the field', () => {
  rejects('busybox', /images\[1\]: must be a mapping/);
  rejects(
    { repository: 'example.com/a', tags: ['1'], entrypiont: ['x'] },
    /images\[1\] \(example\.com\/a\): entrypiont: unknown field \(known: repository, tags/,
  );
  rejects({ tags: ['1'] }, /images\[1\]: repository: required/);
  rejects({ repository: 'example.com/a' }, /\(example\.com\/a\): tags: required/);
  rejects({ repository: 'example.com/a', tags: [] }, /tags: required/);
  rejects({ repository: 'example.com/a', tags: ['bad tag'] }, /tags\[0\]: invalid tag "bad tag"/);
  rejects({ repository: 'Example.com/A', tags: ['1'] }, /repository: invalid reference format/);
  rejects({ repository: 'example.com/a:1', tags: ['1'] }, /repository: a repository without tag or digest/);
  rejects({ repository: 'example.com/a', tags: ['1'], digest: 'sha256:123' }, /digest: must be sha256:<64 hex>/);
  rejects({ repository: 'example.com/a', tags: ['1'], id: 'abc' }, /id: must be sha256:<64 hex>/);
  rejects({ repository: 'example.com/a', tags: ['1'], size: -1 }, /size: must be a whole number of bytes/);
  rejects({ repository: 'example.com/a', tags: ['1'], cmd: 'sh' }, /cmd: must be a list of strings/);
  rejects({ repository: 'example.com/a', tags: ['1'], env: ['NOVALUE'] }, /env\[0\]: must be KEY=VALUE/);
  rejects({ repository: 'example.com/a', tags: ['1'], workingDir: 'rel' }, /workingDir: must be an absolute path/);
  rejects({ repository: 'example.com/a', tags: ['1'], busybox: 'yes' }, /busybox: must be true or false/);
  rejects(
    { repository: 'example.com/a', tags: ['1'], executables: { '/bin/app': 'no-such-program' } },
    /executables\.\/bin\/app: no simulated program "no-such-program" \(known: .*httpd/,
  );
  rejects({ repository: 'example.com/a', tags: ['1'], executables: { 'bin/app': 'sh' } }, /executables\.bin\/app: must be an absolute path/);
  rejects({ repository: 'example.com/a', tags: ['1'], labels: { a: 1 } }, /labels\.a: must be a string/);
  rejects({ repository: 'example.com/a', tags: ['1'], users: { app: { uid: 1, home: '/x' } } }, /users\.app\.home: unknown field \(known: uid, gid, groups\)/);
  rejects({ repository: 'example.com/a', tags: ['1'], users: { app: { gid: 1 } } }, /users\.app\.uid: required/);
  rejects(
    { repository: 'example.com/a', tags: ['1'], users: { app: { uid: 1, groups: [50000] } } },
    /\(example\.com\/a\): users\.app\.groups: no group 50000 \(declare it under groups\)/,
  );
  rejects(
    { repository: 'example.com/a', tags: ['1'], groups: { shared: { gid: 5, members: 'app' } } },
    /groups\.shared\.members: must be a list of user names/,
  );
  rejects(
    { repository: 'example.com/a', tags: ['1'], users: { root: 0 }, files: { '/etc/passwd': 'root:x:0:0::/:/bin/sh\n' } },
    /users: give users or files\.\/etc\/passwd, not both/,
  );
  rejects({ repository: 'example.com/a', tags: ['1'], files: { '/etc/passwd': 'root:0:0\n' } }, /files\.\/etc\/passwd line 1: expected name:x:uid:gid/);
  rejects({ repository: 'example.com/a', tags: ['1'], files: { '/etc/group': 'staff:x:abc:\n' } }, /files\.\/etc\/group line 1: expected name:x:gid:members/);
  const id = `sha256:${'c'.repeat(64)}`;
  assert.throws(
    () =>
      parseImageList(
        [
          { repository: 'example.com/a', tags: ['1'], id },
          { repository: 'example.com/b', tags: ['1'], id },
        ],
        'imgs.yaml',
      ),
    (e: Error) => e.message === `imgs.yaml: images[1] (example.com/b): id: ${id} is already the id of images[0] (example.com/a)`,
  );
});

t('pulled by tag, by digest and by id; listed; a container runs with its config, files, user and groups', async () => {
  h = await startTestRuntime({ images: loadImageFile(EXAMPLE) });
  const img = h.client.image;
  const { imageRef: id } = await img.pullImage({ image: { image: 'registry.example.com/team/app:v1.2.0' } });
  assert.match(id, /^sha256:[a-f0-9]{64}$/);
  const st = await img.imageStatus({ image: { image: 'registry.example.com/team/app:v1.2.0' }, verbose: true });
  assert.equal(st.image!.repoTags, ['registry.example.com/team/app:v1.2.0']);
  assert.is(st.image!.size, 5242880n);
  assert.is(st.image!.username, 'app');
  const info = JSON.parse(st.info.info);
  assert.equal(info.imageSpec.config.Entrypoint, ['/bin/sh', '-c']);
  assert.is(info.imageSpec.config.WorkingDir, '/srv/app');
  assert.equal(info.imageSpec.config.Labels, { 'org.opencontainers.image.title': 'app' });
  const digest = st.image!.repoDigests[0].split('@')[1];
  // by digest and by id (name@id), and the second tag
  assert.is((await img.pullImage({ image: { image: `registry.example.com/team/app@${digest}` } })).imageRef, id);
  assert.is((await img.pullImage({ image: { image: `registry.example.com/team/app@${id}` } })).imageRef, id);
  assert.is((await img.pullImage({ image: { image: 'registry.example.com/team/app' } })).imageRef, id, ':latest is a tag of the same image');
  assert.is((await img.imageStatus({ image: { image: id } })).image?.id, id);
  // the second entry has a fixed digest
  const web = '@sha256:2b1e0a5c4f7d3e9a8b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a';
  const webId = (await img.pullImage({ image: { image: `registry.example.com/tools/static-web${web}` } })).imageRef;
  const list = (await img.listImages({})).images;
  assert.ok(list.some((i) => i.id === id && i.repoTags.includes('registry.example.com/team/app:latest')));
  assert.ok(list.some((i) => i.id === webId && i.repoTags.length === 0 && i.repoDigests.includes(`registry.example.com/tools/static-web${web}`)));
  await assert.not.ok(
    await img.pullImage({ image: { image: 'registry.example.com/team/app:v9' } }).then(
      () => true,
      () => false,
    ),
    'an unknown tag is NOT_FOUND',
  );

  // a container from it, created by image id: entrypoint+cmd, user app, group 50000 from /etc/group
  const sb = (await h.client.runtime.runPodSandbox({ config: { ...podConfig(), logDirectory: join(h.dir, 'logs') } })).podSandboxId;
  const cfg = ctrConfig('app', [], { image: { image: id } });
  const ctr = (await h.client.runtime.createContainer({ podSandboxId: sb, config: cfg, sandboxConfig: podConfig() })).containerId;
  await h.client.runtime.startContainer({ containerId: ctr });
  const status = await waitFor(async () => {
    const s = (await h!.client.runtime.containerStatus({ containerId: ctr })).status!;
    return s.state === ContainerState.CONTAINER_RUNNING ? s : undefined;
  });
  assert.equal(status.user?.linux?.supplementalGroups, [1000n, 50000n]);
  assert.is(status.user?.linux?.uid, 1000n);
  const ex = async (cmd: string[]) => {
    const r = await h!.client.runtime.execSync({ containerId: ctr, cmd, timeout: 5n });
    return Buffer.from(r.stdout).toString();
  };
  assert.is(await ex(['id']), 'uid=1000(app) gid=1000(app) groups=1000(app),50000(shared)\n');
  assert.is(await ex(['id', '-Gn']), 'app shared\n');
  assert.is(await ex(['pwd']), '/srv/app\n');
  assert.is(await ex(['cat', '/srv/app/config.yaml']), 'mode: production\n');
  assert.match(await ex(['cat', '/etc/group']), /^shared:x:50000:app$/m);
  assert.is(await ex(['sh', '-c', 'echo $APP_MODE']), 'production\n');
  const log = await waitFor(async () => {
    const { readFileSync } = await import('node:fs');
    try {
      const s = readFileSync(join(h!.dir, 'logs', 'app/0.log'), 'utf8');
      return /groups=/.test(s) ? s : undefined;
    } catch {
      return undefined;
    }
  });
  assert.match(log, /stdout F app starting/);

  // the static image: users and groups from its given /etc/passwd and /etc/group, httpd only
  const c2 = (
    await h.client.runtime.createContainer({ podSandboxId: sb, config: ctrConfig('web', [], { image: { image: webId } }), sandboxConfig: podConfig() })
  ).containerId;
  await h.client.runtime.startContainer({ containerId: c2 });
  const s2 = await waitFor(async () => {
    const s = (await h!.client.runtime.containerStatus({ containerId: c2 })).status!;
    return s.state === ContainerState.CONTAINER_RUNNING ? s : undefined;
  });
  assert.is(s2.user?.linux?.uid, 101n);
  assert.equal(s2.user?.linux?.supplementalGroups, [101n, 33n]);
  const r = await h.client.runtime.execSync({ containerId: c2, cmd: ['sh', '-c', 'true'], timeout: 5n }).then(
    () => 'ran',
    (e: Error) => e.message,
  );
  assert.match(r, /executable file not found/, 'no shell in a busybox: false image');
});

t.run();
