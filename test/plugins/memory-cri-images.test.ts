// memory-cri ImageService over a real unix socket: reference normalization (busybox ==
// docker.io/library/busybox:latest), digests and ids, pulling a missing image, ImageStatus of an
// absent image (empty, not an error), ListImages filters, idempotent RemoveImage, ImageFsInfo
// usage, uid/username from USER, the pinned sandbox image, tag moves and a custom catalogue.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { normalizeRef, parseImageRef } from '../../plugins/memory-cri/image-ref.js';
import { startTestRuntime, type TestRuntime } from '../../plugins/memory-cri/testing.js';
import { fails } from '../helpers/rpc.js';

const t = suite('memory-cri: images');
let h: TestRuntime;

const status = async (image: string) => (await h.client.image.imageStatus({ image: { image } })).image;

t.before(async () => {
  h = await startTestRuntime({
    images: [
      { repository: 'registry.example.com:5000/team/app', tags: ['v1'], size: 12345, user: 'app', users: { root: 0, app: 1001 } },
      { repository: 'busybox', tags: ['latest'], size: 999, cmd: ['sh'], id: `sha256:${'ab'.repeat(32)}` },
    ],
  });
});
t.after(async () => {
  await h?.close();
});

t('reference normalization as containerd', () => {
  for (const ref of ['busybox', 'busybox:latest', 'library/busybox', 'docker.io/library/busybox:latest', 'index.docker.io/library/busybox']) {
    assert.is(normalizeRef(ref), 'docker.io/library/busybox:latest', ref);
  }
  assert.is(normalizeRef('registry.k8s.io/pause:3.10'), 'registry.k8s.io/pause:3.10');
  assert.is(normalizeRef('localhost:5000/x'), 'localhost:5000/x:latest');
  assert.is(normalizeRef('user/repo:tag'), 'docker.io/user/repo:tag');
  const d = `sha256:${'0'.repeat(64)}`;
  assert.is(normalizeRef(`busybox:1.36@${d}`), `docker.io/library/busybox@${d}`, 'a digest wins over the tag');
  for (const bad of ['', 'Busybox', 'busybox:', 'a'.repeat(64), 'busybox@sha256:123', 'bad name']) {
    assert.throws(() => parseImageRef(bad), /invalid reference format/, bad);
  }
});

t('PullImage answers the image id; every spelling of the reference finds the same image', async () => {
  const { imageRef } = await h.client.image.pullImage({ image: { image: 'busybox' } });
  assert.match(imageRef, /^sha256:[a-f0-9]{64}$/);
  assert.is(imageRef, `sha256:${'ab'.repeat(32)}`, 'options.images override the built-in tag');
  for (const ref of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', imageRef, imageRef.slice(7), imageRef.slice(7, 19)]) {
    const img = await status(ref);
    assert.ok(img, `ImageStatus(${ref})`);
    assert.is(img!.id, imageRef, ref);
  }
  const img = (await status('busybox'))!;
  assert.equal(img.repoTags, ['docker.io/library/busybox:latest']);
  assert.is(img.repoDigests.length, 1);
  assert.match(img.repoDigests[0], /^docker\.io\/library\/busybox@sha256:[a-f0-9]{64}$/);
  assert.is(img.size, 999n);
  // ... and by digest
  const digest = img.repoDigests[0].split('@')[1];
  assert.is((await status(`busybox@${digest}`))!.id, imageRef);
  assert.is((await h.client.image.pullImage({ image: { image: `docker.io/library/busybox@${digest}` } })).imageRef, imageRef);
});

t('pulling by digest adds no tag; tags of one image are listed in pull order', async () => {
  const catalogueDigest = h.runtime.catalogue.find(parseImageRef('busybox:1.36'))!.digest;
  const { imageRef } = await h.client.image.pullImage({ image: { image: `busybox@${catalogueDigest}` } });
  let img = (await status(imageRef))!;
  assert.equal(img.repoTags, []);
  assert.equal(img.repoDigests, [`docker.io/library/busybox@${catalogueDigest}`]);
  await h.client.image.pullImage({ image: { image: 'busybox:1.36.1' } });
  await h.client.image.pullImage({ image: { image: 'busybox:1.36' } });
  img = (await status(imageRef))!;
  assert.equal(img.repoTags, ['docker.io/library/busybox:1.36.1', 'docker.io/library/busybox:1.36']);
  assert.is(img.id, imageRef);
});

t('pulling an image the registry does not have: NOT_FOUND "… not found"; bad references INVALID_ARGUMENT', async () => {
  await fails(
    h.client.image.pullImage({ image: { image: 'nonexistent/thing:1' } }),
    'NOT_FOUND',
    /failed to pull and unpack image "docker\.io\/nonexistent\/thing:1": failed to resolve reference "docker\.io\/nonexistent\/thing:1": .*not found/,
  );
  await fails(h.client.image.pullImage({ image: { image: 'busybox:9.99' } }), 'NOT_FOUND', /not found/);
  await fails(h.client.image.pullImage({ image: { image: 'docker.io/Upper/case' } }), 'INVALID_ARGUMENT', /invalid reference format.*must be lowercase/);
  await fails(h.client.image.pullImage({ image: { image: '' } }), 'INVALID_ARGUMENT');
});

t('ImageStatus of an absent image is an empty response, not an error', async () => {
  const r = await h.client.image.imageStatus({ image: { image: 'docker.io/library/alpine:3.20' } });
  assert.is(r.image, undefined);
  assert.equal(r.info, {});
  assert.is(await status(`sha256:${'f'.repeat(64)}`), undefined);
});

t('uid / username from USER; verbose info carries the image config', async () => {
  await h.client.image.pullImage({ image: { image: 'gcr.io/distroless/static:nonroot' } });
  const nonroot = (await status('gcr.io/distroless/static:nonroot'))!;
  assert.is(nonroot.uid!.value, 65532n);
  assert.is(nonroot.username, '');
  await h.client.image.pullImage({ image: { image: 'registry.example.com:5000/team/app:v1' } });
  const app = (await status('registry.example.com:5000/team/app:v1'))!;
  assert.is(app.uid, undefined);
  assert.is(app.username, 'app');
  assert.is(app.size, 12345n);
  assert.is((await status('busybox'))!.uid, undefined, 'no USER: neither uid nor username');
  const v = await h.client.image.imageStatus({ image: { image: 'busybox' }, verbose: true });
  assert.equal(JSON.parse(v.info.info).imageSpec.config.Cmd, ['sh']);
});

t('the sandbox image is pinned', async () => {
  await h.client.image.pullImage({ image: { image: 'registry.k8s.io/pause:3.10' } });
  await h.client.image.pullImage({ image: { image: 'registry.k8s.io/pause:3.9' } });
  assert.is((await status('registry.k8s.io/pause:3.10'))!.pinned, true);
  assert.is((await status('registry.k8s.io/pause:3.9'))!.pinned, false);
});

t('ListImages lists every pulled image, or the one a filter names; StreamImages streams the same', async () => {
  const all = (await h.client.image.listImages({})).images;
  assert.ok(all.length >= 5);
  assert.equal(new Set(all.map((i) => i.id)).size, all.length, 'one entry per image');
  const one = (await h.client.image.listImages({ filter: { image: { image: 'pause:3.9' } } })).images;
  assert.is(one.length, 0, 'pause is not a docker.io image');
  const pause = (await h.client.image.listImages({ filter: { image: { image: 'registry.k8s.io/pause:3.9' } } })).images;
  assert.equal(
    pause.map((i) => i.repoTags[0]),
    ['registry.k8s.io/pause:3.9'],
  );
  const streamed: string[] = [];
  for await (const chunk of h.client.image.streamImages({})) streamed.push(...chunk.images.map((i) => i.id));
  assert.equal(streamed.sort(), all.map((i) => i.id).sort());
});

t('ImageFsInfo: used bytes are the sum of the pulled images', async () => {
  const all = (await h.client.image.listImages({})).images;
  const fs = (await h.client.image.imageFsInfo({})).imageFilesystems;
  assert.is(fs.length, 1);
  assert.is(
    fs[0].usedBytes!.value,
    all.reduce((a, i) => a + i.size, 0n),
  );
  assert.ok(fs[0].timestamp > 0n);
  assert.match(fs[0].fsId!.mountpoint, /images$/);
});

t('RemoveImage removes the image with all its tags; idempotent', async () => {
  const before = (await h.client.image.imageFsInfo({})).imageFilesystems[0].usedBytes!.value;
  await h.client.image.removeImage({ image: { image: 'busybox:1.36' } });
  assert.is(await status('busybox:1.36'), undefined);
  assert.is(await status('busybox:1.36.1'), undefined);
  await h.client.image.removeImage({ image: { image: 'busybox:1.36' } });
  await h.client.image.removeImage({ image: { image: 'never/pulled:x' } });
  const after = (await h.client.image.imageFsInfo({})).imageFilesystems[0].usedBytes!.value;
  assert.ok(after < before);
});

t('preloaded images need no pull; an unknown preloaded image is a configuration error', async () => {
  const p = await startTestRuntime({ preloadedImages: ['registry.k8s.io/pause:3.10', 'busybox'] });
  try {
    assert.equal((await p.client.image.listImages({})).images.map((i) => i.repoTags[0]).sort(), [
      'docker.io/library/busybox:latest',
      'registry.k8s.io/pause:3.10',
    ]);
  } finally {
    await p.close();
  }
  await startTestRuntime({ preloadedImages: ['nope:1'] }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /not in the catalogue/),
  );
});

t.run();
