// CRI ImageService: ImageStatus by tag, id and digest (absent → no image, not an error),
// ListImages, PullImage (idempotent, image_ref = the image id, missing tags and invalid
// references fail), RemoveImage by tag, id and digest (then pulled again) and of absent images,
// ImageFsInfo and StreamImages. The remove cases only touch the scratch image (the second
// --test-image) and run alone; each pulls it back when it ends.
import { expectEqual, expectNonEmpty, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { caseIn } from './case.js';
import { expectRefused, flat, rpcCap, type CriEnv, type CriKit, type ScratchImage } from './kit.js';

const c = caseIn('cri.Image');

const STATUS_RULE = 'CRI ImageStatus: the status of the image the spec names (by tag, digest or id); if the image is not present, the response has no image and the call still succeeds';
const REMOVE_RULE = 'CRI RemoveImage removes the image the spec names (by tag, digest or id); afterwards ImageStatus no longer finds it';
const PULL_RULE = 'CRI PullImage pulls the image and answers image_ref, the node-local image id (what ImageStatus answers as image.id)';

async function imageStatus(k: CriKit, ref: string, rule = STATUS_RULE) {
  const p = k.image.imageStatus({ image: { image: ref } });
  return { res: await expectOk(p, rule), call: p };
}

/** The scratch image, or skip (the environment gave none). Registers the pull that brings it back. */
function scratch(k: CriKit): ScratchImage {
  const s = k.env.scratch;
  if (!s) k.ctx.skip(k.env.scratchProblem ?? 'no scratch image');
  k.ctx.cleanup(async () => { await k.env.client.image.pullImage({ image: { image: s.ref } }, { timeoutMs: 120_000 }); }, `PullImage ${s.ref} (put the scratch image back)`);
  return s;
}

async function removedBy(k: CriKit, how: 'tag' | 'id' | 'digest'): Promise<void> {
  const s = scratch(k);
  let ref = how === 'tag' ? s.ref : s.id;
  if (how === 'digest') {
    const { res } = await imageStatus(k, s.ref);
    const d = res.image?.repoDigests[0];
    if (!d) return k.ctx.notApplicable(`the runtime reports no repo_digests for ${s.ref} (the image was not pulled from a registry by digest)`);
    ref = d;
  }
  await expectOk(k.image.removeImage({ image: { image: ref } }), `${REMOVE_RULE}; it MUST answer OK for a present image`);
  for (const r of new Set([ref, s.ref, s.id])) {
    const { res, call } = await imageStatus(k, r);
    if (res.image) fail(`ImageStatus(${r}) still finds image ${res.image.id} after RemoveImage(${ref})`, REMOVE_RULE, { call });
  }
  const list = await expectOk(k.image.listImages({}), 'CRI ListImages MUST answer OK');
  expectTrue(!list.images.some((i) => i.id === s.id), `ListImages still lists ${s.id} after RemoveImage(${ref})`, REMOVE_RULE, { call: k.ctx.lastCall });
  const pulled = await expectOk(k.image.pullImage({ image: { image: s.ref } }), `${PULL_RULE}; a removed image can be pulled again`);
  expectEqual(pulled.imageRef, s.id, PULL_RULE, 'image_ref of the pull after the removal', k.ctx.lastCall);
}

export const imageCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.image.status.by-tag', name: 'ImageStatus by the reference the image was pulled with answers the image with id, tags and size',
    async run(k) {
      const { res, call } = await imageStatus(k, k.env.image);
      const img = res.image;
      if (!img) fail(`ImageStatus(${k.env.image}) finds no image`, STATUS_RULE, { call });
      expectEqual(img.id, k.env.imageId, 'CRI Image.id: the node-local id of the image', 'image.id', call);
      expectTrue(img.repoTags.length + img.repoDigests.length > 0, 'the image has neither repo_tags nor repo_digests', 'CRI Image: repo_tags and repo_digests name the image (kubelet shows them, image GC keeps tagged images)', { call });
      expectTrue(img.size > 0n, `image size is ${img.size}`, 'CRI Image.size: the size of the image in bytes, greater than 0 (kubelet\'s image GC sums it)', { call });
    },
  }),
  c({
    id: 'cri.image.status.by-id', name: 'ImageStatus by image id answers the same image',
    async run(k) {
      const { res, call } = await imageStatus(k, k.env.imageId);
      expectEqual(res.image?.id, k.env.imageId, STATUS_RULE, `image.id for ImageStatus(${k.env.imageId})`, call);
    },
  }),
  c({
    id: 'cri.image.status.by-digest', name: 'ImageStatus by a repo digest of the image answers the same image',
    async run(k) {
      const { res } = await imageStatus(k, k.env.image);
      const d = res.image?.repoDigests[0];
      if (!d) return k.ctx.notApplicable(`the runtime reports no repo_digests for ${k.env.image}`);
      const { res: byDigest, call } = await imageStatus(k, d);
      expectEqual(byDigest.image?.id, k.env.imageId, STATUS_RULE, `image.id for ImageStatus(${d})`, call);
    },
  }),
  c({
    id: 'cri.image.status.absent', name: 'ImageStatus of an image that is not on the node answers OK without an image',
    async run(k) {
      const ref = `${k.env.image.replace(/[:@].*$/, '')}:triad-absent-${k.env.runId}`;
      const { res, call } = await imageStatus(k, ref);
      expectTrue(!res.image, `ImageStatus(${ref}) answered an image (${res.image?.id})`, STATUS_RULE, { call });
    },
  }),
  c({
    id: 'cri.image.status.verbose', name: 'ImageStatus with verbose answers OK, info only then', tags: ['Optional'],
    async run(k) {
      const quiet = await expectOk(k.image.imageStatus({ image: { image: k.env.image }, verbose: false }), STATUS_RULE);
      expectEqual(Object.keys(quiet.info).length, 0, 'CRI ImageStatusResponse.info: extra information, only returned when verbose is true', 'number of info keys without verbose', k.ctx.lastCall);
      const v = await expectOk(k.image.imageStatus({ image: { image: k.env.image }, verbose: true }), STATUS_RULE);
      expectTrue(Object.keys(v.info).length > 0, 'verbose ImageStatus has no info', 'CRI ImageStatusResponse.info: with verbose, image details (the image config)', { call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.image.list', name: 'ListImages lists the test image with the id, tags and digests ImageStatus reports',
    async run(k) {
      const p = k.image.listImages({});
      const res = await expectOk(p, 'CRI ListImages MUST answer OK with the images on the node');
      const img = res.images.find((i) => i.id === k.env.imageId);
      if (!img) fail(`ListImages does not list ${k.env.imageId} (${k.env.image})`, 'CRI ListImages lists every image on the node', { call: p });
      const { res: st } = await imageStatus(k, k.env.imageId);
      const rule = 'CRI ListImages and ImageStatus describe the same image the same way (repo_tags, repo_digests, size)';
      expectEqual([...img.repoTags].sort(), [...(st.image?.repoTags ?? [])].sort(), rule, 'repo_tags', p);
      expectEqual([...img.repoDigests].sort(), [...(st.image?.repoDigests ?? [])].sort(), rule, 'repo_digests', p);
      expectEqual(img.size, st.image?.size, rule, 'size', p);
    },
  }),
  c({
    id: 'cri.image.list.filter', name: 'ListImages with filter.image lists only that image', tags: ['Optional'],
    async run(k) {
      const p = k.image.listImages({ filter: { image: { image: k.env.image } } });
      const res = await expectOk(p, 'CRI ListImages MUST answer OK');
      const ids = [...new Set(res.images.map((i) => i.id))];
      expectEqual(ids, [k.env.imageId], 'CRI ImageFilter.image: only the image the spec names (containerd 1.x ignores the filter, so this is Optional)', 'image ids listed for the filter', p);
    },
  }),
  c({
    id: 'cri.image.stream', name: 'StreamImages streams the images ListImages lists', needs: [rpcCap('StreamImages')],
    async run(k) {
      const msgs = await expectOk(k.collect('ImageService/StreamImages', {}, (req, o) => k.env.client.image.streamImages(req as never, o)), 'CRI StreamImages MUST stream the images, then end');
      const streamed = flat(msgs, 'images').map((i) => i.id);
      expectTrue(streamed.includes(k.env.imageId), `StreamImages did not stream ${k.env.imageId}`, 'CRI StreamImages: the same images as ListImages, each once', { call: k.ctx.lastCall });
      expectEqual(streamed.length, new Set(streamed).size, 'CRI StreamImages: each image once', 'number of streamed images (duplicates make it larger than the distinct ids)', k.ctx.lastCall);
    },
  }),
  c({
    id: 'cri.image.pull.present', name: 'PullImage of an image already on the node answers OK with image_ref = its id',
    async run(k) {
      const p = k.image.pullImage({ image: { image: k.env.image } });
      const res = await expectOk(p, `${PULL_RULE}; pulling a present image is idempotent`);
      expectEqual(res.imageRef, k.env.imageId, 'CRI PullImageResponse.image_ref: the node-local image id, the same as ImageStatus image.id (kubelet creates containers with it)', 'image_ref', p);
    },
  }),
  c({
    id: 'cri.image.pull.with-sandbox-config', name: 'PullImage with the pod\'s sandbox config (as kubelet sends it) answers OK',
    async run(k) {
      const p = k.image.pullImage({ image: { image: k.env.image }, sandboxConfig: k.podConfig() });
      const res = await expectOk(p, 'CRI PullImageRequest.sandbox_config: the config of the pod the image is for; kubelet always sends it and the pull MUST still succeed');
      expectEqual(res.imageRef, k.env.imageId, PULL_RULE, 'image_ref', p);
    },
  }),
  c({
    id: 'cri.image.pull.missing-tag', name: 'PullImage of a tag the registry does not have fails',
    async run(k) {
      const ref = `${k.env.image.replace(/[:@].*$/, '')}:triad-absent-${k.env.runId}`;
      await expectRefused(k.image.pullImage({ image: { image: ref } }), 'CRI PullImage of an image the registry does not have MUST fail (kubelet reports ErrImagePull)', `PullImage(${ref})`);
      const { res, call } = await imageStatus(k, ref);
      expectTrue(!res.image, `after the failed pull ImageStatus(${ref}) finds ${res.image?.id}`, STATUS_RULE, { call });
    },
  }),
  c({
    id: 'cri.image.pull.invalid-reference', name: 'PullImage of a malformed image reference fails',
    async run(k) {
      await expectRefused(k.image.pullImage({ image: { image: 'Triad Not//A:Reference!' } }), 'CRI PullImage: the image spec MUST be a valid image reference; a malformed one MUST be refused (kubelet reports InvalidImageName)', 'PullImage of "Triad Not//A:Reference!"');
    },
  }),
  c({
    id: 'cri.image.remove.absent', name: 'RemoveImage of an image that is not on the node answers OK',
    async run(k) {
      const ref = `${k.env.image.replace(/[:@].*$/, '')}:triad-absent-${k.env.runId}`;
      await expectOk(k.image.removeImage({ image: { image: ref } }), 'CRI RemoveImage is idempotent: it MUST NOT return an error if the image has already been removed');
    },
  }),
  c({
    id: 'cri.image.remove.by-tag', name: 'RemoveImage by tag removes the scratch image; it can be pulled again', serial: true,
    async run(k) { await removedBy(k, 'tag'); },
  }),
  c({
    id: 'cri.image.remove.by-id', name: 'RemoveImage by image id removes the scratch image; it can be pulled again', serial: true,
    async run(k) { await removedBy(k, 'id'); },
  }),
  c({
    id: 'cri.image.remove.by-digest', name: 'RemoveImage by repo digest removes the scratch image; it can be pulled again', serial: true,
    async run(k) { await removedBy(k, 'digest'); },
  }),
  c({
    id: 'cri.image.fs-info', name: 'ImageFsInfo answers the image filesystem with a mountpoint and usage',
    async run(k) {
      const p = k.image.imageFsInfo({});
      const res = await expectOk(p, 'CRI ImageFsInfo MUST answer OK (kubelet\'s image GC and eviction read it)');
      expectTrue(res.imageFilesystems.length > 0, 'ImageFsInfo lists no image filesystem', 'CRI ImageFsInfoResponse.image_filesystems: the filesystems images are stored on', { call: p });
      res.imageFilesystems.forEach((fs, i) => {
        expectNonEmpty(fs.fsId?.mountpoint, 'CRI FilesystemUsage.fs_id.mountpoint identifies the filesystem', `image_filesystems[${i}].fs_id.mountpoint`, p);
        expectTrue(fs.usedBytes !== undefined, `image_filesystems[${i}].used_bytes is unset`, 'CRI FilesystemUsage.used_bytes: the bytes images use on the filesystem', { call: p });
        expectTrue(fs.timestamp > 0n, `image_filesystems[${i}].timestamp is ${fs.timestamp}`, 'CRI FilesystemUsage.timestamp: when the usage was collected, nanoseconds', { call: p });
      });
    },
  }),
];
