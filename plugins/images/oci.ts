// OCI image layout writer (image-spec v1.0): oci-layout, index.json, blobs/sha256/<hex> for one
// gzipped tar layer, the image config and the manifest. One layout directory per repository;
// each tag is one index.json entry annotated org.opencontainers.image.ref.name, which is what
// `skopeo copy oci:DIR:TAG` and `umoci` look up.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tar, type TarEntry } from './tar.js';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export const REF_ANNOTATION = 'org.opencontainers.image.ref.name';
/** Our own annotation: a hash of everything the image was built from (cache key). */
export const INPUTS_ANNOTATION = 'dev.triad.image.inputs';

export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
}

export interface ImageSpec {
  /** Repository name, e.g. busybox. */
  name: string;
  tags: string[];
  entries: TarEntry[];
  config: ImageConfig;
  /** Extra cache-key material (e.g. the source binary's digest). */
  inputs?: string;
}

export interface BuiltImage {
  name: string;
  tags: string[];
  dir: string;
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  /** Digest of the uncompressed layer (the config's rootfs.diff_ids). */
  diffId: string;
  /** True when the layout was already there and nothing was written. */
  cached: boolean;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export function goArch(arch = process.arch): string {
  return (
    ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch
  );
}

/** Canonical JSON (sorted keys) so the same content always gives the same digest. */
export function canonicalJson(v: unknown): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x && typeof x === 'object')
      return Object.fromEntries(
        Object.keys(x as object)
          .sort()
          .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
      );
    return x;
  };
  return JSON.stringify(sort(v));
}

/** A key for the spec's content: entries (incl. file bytes), config and tags. */
export function inputsKey(spec: ImageSpec): string {
  const h = createHash('sha256');
  h.update(canonicalJson({ name: spec.name, tags: spec.tags, config: spec.config, inputs: spec.inputs ?? '', layout: 1 }));
  for (const e of spec.entries) {
    h.update(canonicalJson({ ...e, data: undefined }));
    if (e.type === 'file') h.update(sha256(e.data));
  }
  return h.digest('hex');
}

interface IndexJson {
  schemaVersion: 2;
  mediaType?: string;
  manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
}

/** Read a layout's tags → manifest digests, or undefined when it is not a complete layout. */
export function readLayout(dir: string): { tags: Record<string, string>; inputs?: string } | undefined {
  try {
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as IndexJson;
    const tags: Record<string, string> = {};
    let inputs: string | undefined;
    for (const m of index.manifests) {
      const blob = (d: string) => join(dir, 'blobs', 'sha256', d.replace(/^sha256:/, ''));
      if (!existsSync(blob(m.digest))) return undefined;
      const manifest = JSON.parse(readFileSync(blob(m.digest), 'utf8')) as { config: { digest: string }; layers: { digest: string }[] };
      for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) if (!existsSync(blob(d))) return undefined;
      const tag = m.annotations?.[REF_ANNOTATION];
      if (tag) tags[tag] = m.digest;
      inputs = m.annotations?.[INPUTS_ANNOTATION] ?? inputs;
    }
    return { tags, inputs };
  } catch {
    return undefined;
  }
}

/**
 * Write `spec` as an OCI image layout at `dir` (atomically: built beside it, then renamed).
 * Skips the work when `dir` already holds a complete layout built from the same inputs.
 */
export function writeImageLayout(dir: string, spec: ImageSpec): BuiltImage {
  const key = inputsKey(spec);
  const existing = readLayout(dir);
  if (existing && existing.inputs === key && spec.tags.every((t) => existing.tags[t])) {
    const manifestDigest = existing.tags[spec.tags[0]];
    const manifest = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', manifestDigest.slice(7)), 'utf8')) as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    const config = JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', manifest.config.digest.slice(7)), 'utf8')) as { rootfs: { diff_ids: string[] } };
    return {
      name: spec.name,
      tags: spec.tags,
      dir,
      manifestDigest,
      configDigest: manifest.config.digest,
      layerDigest: manifest.layers[0].digest,
      diffId: config.rootfs.diff_ids[0],
      cached: true,
    };
  }

  const layerTar = tar(spec.entries);
  const diffId = `sha256:${sha256(layerTar)}`;
  const layer = gzipSync(layerTar, { level: 9 });
  const layerDigest = `sha256:${sha256(layer)}`;
  const config = Buffer.from(
    canonicalJson({
      created: '1970-01-01T00:00:00Z',
      architecture: goArch(),
      os: 'linux',
      config: spec.config,
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: `triad plugins/images (${spec.name})` }],
    }),
  );
  const configDigest = `sha256:${sha256(config)}`;
  const manifest = Buffer.from(
    canonicalJson({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, digest: configDigest, size: config.length },
      layers: [{ mediaType: MEDIA.layerGzip, digest: layerDigest, size: layer.length }],
    }),
  );
  const manifestDigest = `sha256:${sha256(manifest)}`;
  const index: IndexJson = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: spec.tags.map((tag) => ({
      mediaType: MEDIA.manifest,
      digest: manifestDigest,
      size: manifest.length,
      annotations: { [REF_ANNOTATION]: tag, [INPUTS_ANNOTATION]: key },
    })),
  };

  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'blobs', 'sha256'), { recursive: true });
  for (const [digest, bytes] of [
    [layerDigest, layer],
    [configDigest, config],
    [manifestDigest, manifest],
  ] as const) {
    writeFileSync(join(tmp, 'blobs', 'sha256', digest.slice(7)), bytes);
  }
  writeFileSync(join(tmp, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(tmp, 'index.json'), JSON.stringify(index));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { name: spec.name, tags: spec.tags, dir, manifestDigest, configDigest, layerDigest, diffId, cached: false };
}
