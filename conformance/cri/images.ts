// CRI ImageService: ImageStatus by tag, id and digest (absent → no image, not an error),
// ListImages, PullImage (idempotent, image_ref = the image id, missing tags and invalid
// references fail), RemoveImage by tag, id and digest (then pulled again) and of absent images,
// ImageFsInfo and StreamImages. The remove cases only touch the scratch image (the second
// --test-image) and run alone; each pulls it back when it ends.
import { expectEqual, expectNonEmpty, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { RULES, expectRefused, flat, rpcCap, type CriEnv, CriKit, type ScratchImage } from './kit.js';

const c = defineCases(CriKit, 'cri.Image');

const STATUS_RULE = 'cri.image-status.answers';
const ABSENT_RULE = 'cri.image-status.absent';
const REMOVE_RULE = 'cri.remove-image.removes';
const PULL_RULE = 'cri.pull-image.pulls';
const ID_RULE = 'cri.image-id.consistent';
const LIST_RULE = 'cri.list-images.lists';
/** What removedBy asserts. */
const REMOVED = [STATUS_RULE, ABSENT_RULE, REMOVE_RULE, LIST_RULE, PULL_RULE, ID_RULE];

async function imageStatus(k: CriKit, ref: string, rule: string = STATUS_RULE) {
  const p = k.image.imageStatus({ image: { image: ref } });
  return { res: await expectOk(p, { rule }), call: p };
}

/** The scratch image, or skip (the environment gave none). Registers the pull that brings it back. */
function scratch(k: CriKit): ScratchImage {
  const s = k.env.scratch;
  if (!s) k.ctx.skip(k.env.scratchProblem ?? 'no scratch image');
  k.ctx.cleanup(async () => {
    await k.env.client.image.pullImage({ image: { image: s.ref } }, { timeoutMs: 120_000 });
  }, `PullImage ${s.ref} (put the scratch image back)`);
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
  await expectOk(k.image.removeImage({ image: { image: ref } }), { rule: REMOVE_RULE });
  for (const r of new Set([ref, s.ref, s.id])) {
    const { res, call } = await imageStatus(k, r, ABSENT_RULE);
    if (res.image) fail(`ImageStatus(${r}) still finds image ${res.image.id} after RemoveImage(${ref})`, { rule: REMOVE_RULE, call });
  }
  const list = await expectOk(k.image.listImages({}), { rule: LIST_RULE });
  expectTrue(!list.images.some((i) => i.id === s.id), `ListImages still lists ${s.id} after RemoveImage(${ref})`, { rule: REMOVE_RULE, call: k.ctx.lastCall });
  const pulled = await expectOk(k.image.pullImage({ image: { image: s.ref } }), { rule: PULL_RULE });
  expectEqual(pulled.imageRef, s.id, { rule: ID_RULE, what: 'image_ref of the pull after the removal', call: k.ctx.lastCall });
}

export const imageCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.image.status.by-tag',
    rpc: 'ImageStatus',
    name: 'ImageStatus by the reference the image was pulled with answers the image with id, tags and size',
    rules: [STATUS_RULE, 'cri.image.names', 'cri.image.size'],
    async run(k) {
      const { res, call } = await imageStatus(k, k.env.image);
      const img = res.image;
      if (!img) fail(`ImageStatus(${k.env.image}) finds no image`, { rule: STATUS_RULE, call });
      expectEqual(img.id, k.env.imageId, { rule: STATUS_RULE, what: 'image.id', call });
      expectTrue(img.repoTags.length + img.repoDigests.length > 0, 'the image has neither repo_tags nor repo_digests', { rule: 'cri.image.names', call });
      expectTrue(img.size > 0n, `image size is ${img.size}`, { rule: 'cri.image.size', call });
    },
  }),
  c({
    id: 'cri.image.status.by-id',
    rpc: 'ImageStatus',
    name: 'ImageStatus by image id answers the same image',
    rules: [STATUS_RULE],
    async run(k) {
      const { res, call } = await imageStatus(k, k.env.imageId);
      expectEqual(res.image?.id, k.env.imageId, { rule: STATUS_RULE, what: `image.id for ImageStatus(${k.env.imageId})`, call });
    },
  }),
  c({
    id: 'cri.image.status.by-digest',
    rpc: 'ImageStatus',
    name: 'ImageStatus by a repo digest of the image answers the same image',
    rules: [STATUS_RULE],
    async run(k) {
      const { res } = await imageStatus(k, k.env.image);
      const d = res.image?.repoDigests[0];
      if (!d) return k.ctx.notApplicable(`the runtime reports no repo_digests for ${k.env.image}`);
      const { res: byDigest, call } = await imageStatus(k, d);
      expectEqual(byDigest.image?.id, k.env.imageId, { rule: STATUS_RULE, what: `image.id for ImageStatus(${d})`, call });
    },
  }),
  c({
    id: 'cri.image.status.absent',
    rpc: 'ImageStatus',
    name: 'ImageStatus of an image that is not on the node answers OK without an image',
    rules: [ABSENT_RULE],
    async run(k) {
      const ref = `${k.env.image.replace(/[:@].*$/, '')}:triad-absent-${k.env.runId}`;
      const { res, call } = await imageStatus(k, ref, ABSENT_RULE);
      expectTrue(!res.image, `ImageStatus(${ref}) answered an image (${res.image?.id})`, { rule: ABSENT_RULE, call });
    },
  }),
  c({
    id: 'cri.image.status.verbose',
    rpc: 'ImageStatus',
    name: 'ImageStatus with verbose answers OK, info only then',
    tags: ['Optional'],
    rules: [STATUS_RULE, 'cri.image-status.verbose-info', 'cri.verbose.info-present'],
    async run(k) {
      const quiet = await expectOk(k.image.imageStatus({ image: { image: k.env.image }, verbose: false }), { rule: STATUS_RULE });
      expectEqual(Object.keys(quiet.info).length, 0, {
        rule: 'cri.image-status.verbose-info',
        what: 'number of info keys without verbose',
        call: k.ctx.lastCall,
      });
      const v = await expectOk(k.image.imageStatus({ image: { image: k.env.image }, verbose: true }), { rule: 'cri.verbose.info-present' });
      expectTrue(Object.keys(v.info).length > 0, 'verbose ImageStatus has no info', { rule: 'cri.verbose.info-present', call: k.ctx.lastCall });
    },
  }),
  c({
    id: 'cri.image.list',
    rpc: 'ListImages',
    name: 'ListImages lists the test image with the id, tags and digests ImageStatus reports',
    rules: [LIST_RULE, STATUS_RULE],
    async run(k) {
      const p = k.image.listImages({});
      const res = await expectOk(p, { rule: LIST_RULE });
      const img = res.images.find((i) => i.id === k.env.imageId);
      if (!img) fail(`ListImages does not list ${k.env.imageId} (${k.env.image})`, { rule: LIST_RULE, call: p });
      const { res: st } = await imageStatus(k, k.env.imageId);
      const rule = LIST_RULE;
      expectEqual([...img.repoTags].sort(), [...(st.image?.repoTags ?? [])].sort(), { rule, what: 'repo_tags', call: p });
      expectEqual([...img.repoDigests].sort(), [...(st.image?.repoDigests ?? [])].sort(), { rule, what: 'repo_digests', call: p });
      expectEqual(img.size, st.image?.size, { rule, what: 'size', call: p });
    },
  }),
  c({
    id: 'cri.image.list.filter',
    rpc: 'ListImages',
    name: 'ListImages with filter.image lists only that image',
    tags: ['Optional'],
    rules: ['cri.image-filter.image'],
    async run(k) {
      const p = k.image.listImages({ filter: { image: { image: k.env.image } } });
      const res = await expectOk(p, { rule: 'cri.image-filter.image' });
      const ids = [...new Set(res.images.map((i) => i.id))];
      expectEqual(ids, [k.env.imageId], { rule: 'cri.image-filter.image', what: 'image ids listed for the filter', call: p });
    },
  }),
  c({
    id: 'cri.image.stream',
    rpc: 'StreamImages',
    name: 'StreamImages streams the images ListImages lists',
    needs: [rpcCap('StreamImages')],
    rules: ['cri.stream-list.same-as-list', 'cri.stream-list.item-once', RULES.eof, RULES.nonEmpty],
    async run(k) {
      const msgs = await expectOk(
        k.collect('ImageService/StreamImages', {}, (req, o) => k.env.client.image.streamImages(req as never, o), 'images'),
        { rule: 'cri.stream-list.same-as-list' },
      );
      const streamed = flat(msgs, 'images').map((i) => i.id);
      expectTrue(streamed.includes(k.env.imageId), `StreamImages did not stream ${k.env.imageId}`, {
        rule: 'cri.stream-list.same-as-list',
        call: k.ctx.lastCall,
      });
      expectEqual(streamed.length, new Set(streamed).size, {
        rule: 'cri.stream-list.item-once',
        what: 'number of streamed images (duplicates make it larger than the distinct ids)',
        call: k.ctx.lastCall,
      });
    },
  }),
  c({
    id: 'cri.image.pull.present',
    rpc: 'PullImage',
    name: 'PullImage of an image already on the node answers OK with image_ref = its id',
    rules: [PULL_RULE, ID_RULE],
    async run(k) {
      const p = k.image.pullImage({ image: { image: k.env.image } });
      const res = await expectOk(p, { rule: PULL_RULE });
      expectEqual(res.imageRef, k.env.imageId, { rule: ID_RULE, what: 'image_ref', call: p });
    },
  }),
  c({
    id: 'cri.image.pull.with-sandbox-config',
    rpc: 'PullImage',
    name: "PullImage with the pod's sandbox config (as kubelet sends it) answers OK",
    rules: ['cri.pull-image.sandbox-config', ID_RULE],
    async run(k) {
      const p = k.image.pullImage({ image: { image: k.env.image }, sandboxConfig: k.podConfig() });
      const res = await expectOk(p, { rule: 'cri.pull-image.sandbox-config' });
      expectEqual(res.imageRef, k.env.imageId, { rule: ID_RULE, what: 'image_ref', call: p });
    },
  }),
  c({
    id: 'cri.image.pull.missing-tag',
    rpc: 'PullImage',
    name: 'PullImage of a tag the registry does not have fails',
    rules: ['cri.pull-image.missing', ABSENT_RULE],
    async run(k) {
      const ref = `${k.env.image.replace(/[:@].*$/, '')}:triad-absent-${k.env.runId}`;
      await expectRefused(k.image.pullImage({ image: { image: ref } }), { rule: 'cri.pull-image.missing', what: `PullImage(${ref})` });
      const { res, call } = await imageStatus(k, ref, ABSENT_RULE);
      expectTrue(!res.image, `after the failed pull ImageStatus(${ref}) finds ${res.image?.id}`, { rule: 'cri.pull-image.missing', call });
    },
  }),
  c({
    id: 'cri.image.pull.invalid-reference',
    rpc: 'PullImage',
    name: 'PullImage of a malformed image reference fails',
    rules: ['cri.pull-image.invalid-reference'],
    async run(k) {
      await expectRefused(k.image.pullImage({ image: { image: 'Triad Not//A:Reference!' } }), {
        rule: 'cri.pull-image.invalid-reference',
        what: 'PullImage of "Triad Not//A:Reference!"',
      });
    },
  }),
  c({
    id: 'cri.image.remove.absent',
    rpc: 'RemoveImage',
    name: 'RemoveImage of an image that is not on the node answers OK',
    rules: ['cri.remove-image.idempotent'],
    async run(k) {
      const ref = `${k.env.image.replace(/[:@].*$/, '')}:triad-absent-${k.env.runId}`;
      await expectOk(k.image.removeImage({ image: { image: ref } }), { rule: 'cri.remove-image.idempotent' });
    },
  }),
  c({
    id: 'cri.image.remove.by-tag',
    rpc: 'RemoveImage',
    name: 'RemoveImage by tag removes the scratch image; it can be pulled again',
    serial: true,
    rules: REMOVED,
    async run(k) {
      await removedBy(k, 'tag');
    },
  }),
  c({
    id: 'cri.image.remove.by-id',
    rpc: 'RemoveImage',
    name: 'RemoveImage by image id removes the scratch image; it can be pulled again',
    serial: true,
    rules: REMOVED,
    async run(k) {
      await removedBy(k, 'id');
    },
  }),
  c({
    id: 'cri.image.remove.by-digest',
    rpc: 'RemoveImage',
    name: 'RemoveImage by repo digest removes the scratch image; it can be pulled again',
    serial: true,
    rules: REMOVED,
    async run(k) {
      await removedBy(k, 'digest');
    },
  }),
  c({
    id: 'cri.image.fs-info',
    rpc: 'ImageFsInfo',
    name: 'ImageFsInfo answers the image filesystem with a mountpoint and usage',
    rules: ['cri.image-fs-info.answers', 'cri.usage.timestamp-positive'],
    async run(k) {
      const p = k.image.imageFsInfo({});
      const rule = 'cri.image-fs-info.answers';
      const res = await expectOk(p, { rule });
      expectTrue(res.imageFilesystems.length > 0, 'ImageFsInfo lists no image filesystem', { rule, call: p });
      res.imageFilesystems.forEach((fs, i) => {
        expectNonEmpty(fs.fsId?.mountpoint, { rule, what: `image_filesystems[${i}].fs_id.mountpoint`, call: p });
        expectTrue(fs.usedBytes !== undefined, `image_filesystems[${i}].used_bytes is unset`, { rule, call: p });
        expectTrue(fs.timestamp > 0n, `image_filesystems[${i}].timestamp is ${fs.timestamp}`, { rule: 'cri.usage.timestamp-positive', call: p });
      });
    },
  }),
  c({
    id: 'cri.image.pull.unknown-runtime-handler',
    rpc: 'PullImage',
    name: 'PullImage for a runtime handler the runtime does not have fails',
    tags: ['Optional'],
    rules: ['cri.image-spec.unknown-runtime-handler'],
    async run(k) {
      await expectRefused(k.image.pullImage({ image: { image: k.env.image, runtimeHandler: `triad-no-such-handler-${k.env.runId}` } }), {
        rule: 'cri.image-spec.unknown-runtime-handler',
        what: 'PullImage with an unknown ImageSpec.runtime_handler',
      });
    },
  }),
];
