// ImageService: images "pulled" from the catalogue into the node's image store. References are
// normalized as containerd does (image-ref.ts); an image is found by a repo tag, a repo digest
// or its id (full, or a unique hex prefix). ImageStatus of an absent image answers an empty
// image (not an error), RemoveImage is idempotent, ImageFsInfo counts the pulled bytes.
import { ImageServiceDefinition, type Image, type ImageFsInfoResponse, type ImageSpec } from '../../interfaces/gen/cri/api.js';
import { cancelled, invalidArgument, notFound } from '../../interfaces/grpc/errors.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import type { CatalogueEntry } from './catalogue.js';
import { ID_RE, parseImageRef, refString, repoName, RefError, type ImageRef } from './image-ref.js';
import type { MemoryRuntime } from './runtime.js';
import { jsonInfo, nowNs } from './store.js';

export interface LocalImage {
  entry: CatalogueEntry;
  /** docker.io/library/busybox:latest, … in the order they were pulled. */
  repoTags: string[];
  /** docker.io/library/busybox@sha256:… */
  repoDigests: string[];
}

export class ImageStore {
  readonly byId = new Map<string, LocalImage>();

  /** Record a pull of entry through ref: the tag moves here from any other image, as in containerd. */
  add(entry: CatalogueEntry, ref: ImageRef): LocalImage {
    let img = this.byId.get(entry.id);
    if (!img) {
      img = { entry, repoTags: [], repoDigests: [] };
      this.byId.set(entry.id, img);
    }
    if (!ref.digest) {
      const tag = refString(ref);
      for (const other of this.byId.values()) if (other !== img) other.repoTags = other.repoTags.filter((t) => t !== tag);
      if (!img.repoTags.includes(tag)) img.repoTags.push(tag);
    }
    const digest = `${repoName(ref)}@${entry.digest}`;
    if (!img.repoDigests.includes(digest)) img.repoDigests.push(digest);
    return img;
  }

  /** By reference (tag or digest), by id, or by a unique id prefix; undefined when absent. */
  resolve(refOrId: string): LocalImage | undefined {
    const s = (refOrId ?? '').trim();
    if (!s) return undefined;
    if (ID_RE.test(s)) return this.byId.get(s.startsWith('sha256:') ? s : `sha256:${s}`);
    try {
      const r = parseImageRef(s);
      const want = r.digest ? `${repoName(r)}@${r.digest}` : refString(r);
      for (const img of this.byId.values()) {
        if (r.digest ? img.repoDigests.includes(want) : img.repoTags.includes(want)) return img;
      }
    } catch (e) {
      if (!(e instanceof RefError)) throw e;
    }
    // A truncated id (containerd's digest set lookup).
    const hex = s.replace(/^sha256:/, '');
    if (/^[a-f0-9]{3,63}$/.test(hex)) {
      const hits = [...this.byId.values()].filter((i) => i.entry.id.slice('sha256:'.length).startsWith(hex));
      if (hits.length === 1) return hits[0];
    }
    return undefined;
  }

  remove(img: LocalImage): void {
    this.byId.delete(img.entry.id);
  }

  usedBytes(): number {
    let n = 0;
    for (const i of this.byId.values()) n += i.entry.size;
    return n;
  }
}

/** USER as CRI reports it: a numeric uid, or a user name (exclusive). */
function imageUser(user: string): { uid?: { value: bigint }; username: string } {
  const u = user.split(':')[0];
  if (!u) return { username: '' };
  if (/^\d+$/.test(u)) return { uid: { value: BigInt(u) }, username: '' };
  return { username: u };
}

export function imageMessage(rt: MemoryRuntime, img: LocalImage): DeepPartial<Image> {
  const e = img.entry;
  return {
    id: e.id,
    repoTags: [...img.repoTags],
    repoDigests: [...img.repoDigests],
    size: BigInt(e.size),
    ...imageUser(e.config.user),
    spec: { image: e.id, annotations: {} },
    pinned: rt.isPinned(img),
  };
}

function verboseInfo(img: LocalImage): Record<string, string> {
  const c = img.entry.config;
  return {
    info: jsonInfo({
      imageSpec: {
        architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
        os: 'linux',
        config: {
          User: c.user,
          Env: c.env,
          Entrypoint: c.entrypoint,
          Cmd: c.cmd,
          WorkingDir: c.workingDir,
          StopSignal: c.stopSignal || undefined,
          Labels: c.labels,
        },
      },
      simulated: true,
    }),
  };
}

const specRef = (spec: ImageSpec | undefined): string => spec?.image ?? '';

export function imageService(rt: MemoryRuntime): ServiceImpl<typeof ImageServiceDefinition> {
  return {
    async listImages(req, ctx) {
      await rt.fault('ListImages', ctx, specRef(req.filter?.image));
      return { images: rt.listImages(req.filter?.image?.image).map((i) => imageMessage(rt, i)) };
    },

    async imageStatus(req, ctx) {
      const ref = specRef(req.image);
      await rt.fault('ImageStatus', ctx, ref, normalizedOrSelf(ref));
      if (!ref) throw invalidArgument('image.image must not be empty');
      const img = rt.images.resolve(ref);
      if (!img) return {};
      return { image: imageMessage(rt, img), info: req.verbose ? verboseInfo(img) : {} };
    },

    async pullImage(req, ctx) {
      const ref = specRef(req.image);
      await rt.fault('PullImage', ctx, ref, normalizedOrSelf(ref), req.sandboxConfig?.metadata?.name);
      if (!ref) throw invalidArgument('image.image must not be empty');
      // api.proto: a pull for an unknown runtime handler should be rejected.
      const handler = req.image?.runtimeHandler ?? '';
      if (handler && !rt.runtimeHandlers.includes(handler)) throw invalidArgument(`failed to pull image "${ref}": no runtime for "${handler}" is configured`);
      let r: ImageRef;
      try {
        r = parseImageRef(ref);
      } catch (e) {
        if (e instanceof RefError) throw invalidArgument(`failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${e.message}`);
        throw e;
      }
      const name = refString(r);
      const entry = rt.catalogue.find(r);
      if (!entry) {
        throw notFound(`failed to pull and unpack image "${name}": failed to resolve reference "${name}": ${name}: not found`);
      }
      if (rt.pullDelayMs > 0) await rt.delay(rt.pullDelayMs, ctx.signal);
      if (ctx.signal.aborted) throw cancelled(`pulling ${name}: cancelled`);
      const img = rt.images.add(entry, r);
      return { imageRef: img.entry.id };
    },

    async removeImage(req, ctx) {
      const ref = specRef(req.image);
      await rt.fault('RemoveImage', ctx, ref, normalizedOrSelf(ref));
      if (!ref) throw invalidArgument('image.image must not be empty');
      const img = rt.images.resolve(ref);
      if (img) rt.images.remove(img);
      return {};
    },

    async imageFsInfo(_req, ctx): Promise<DeepPartial<ImageFsInfoResponse>> {
      await rt.fault('ImageFsInfo', ctx);
      const ts = nowNs();
      return {
        imageFilesystems: [
          {
            timestamp: ts,
            fsId: { mountpoint: rt.imageFsMountpoint },
            usedBytes: { value: BigInt(rt.images.usedBytes()) },
            inodesUsed: { value: BigInt(rt.images.byId.size * 64) },
          },
        ],
        containerFilesystems: [],
      };
    },
  };
}

function normalizedOrSelf(ref: string): string | undefined {
  try {
    return refString(parseImageRef(ref));
  } catch {
    return undefined;
  }
}

/** For the container service: the local image a ContainerConfig names, or NOT_FOUND as containerd says it. */
export function imageForContainer(rt: MemoryRuntime, ref: string): LocalImage {
  const img = rt.images.resolve(ref);
  if (!img) throw notFound(`failed to create containerd container: failed to resolve image "${ref}": not found`);
  return img;
}
