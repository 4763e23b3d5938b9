// Image references normalized the way containerd does (distribution/reference's
// ParseNormalizedNamed + containerd's ParseDockerRef): `busybox`, `busybox:latest`,
// `library/busybox` and `docker.io/library/busybox:latest` are one reference; a bare name gets
// :latest; with a digest the tag is dropped (name@digest).

export interface ImageRef {
  /** Registry host, e.g. docker.io, registry.k8s.io, localhost:5000. */
  domain: string;
  /** Repository path inside the registry, e.g. library/busybox. */
  path: string;
  tag?: string;
  digest?: string;
}

export class RefError extends Error {
  constructor(
    readonly ref: string,
    reason: string,
  ) {
    super(`invalid reference format: ${JSON.stringify(ref)}: ${reason}`);
    this.name = 'RefError';
  }
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;
const DOMAIN = /^(?:localhost|(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*|\[[0-9a-fA-F:.]+\])(?::\d+)?$/;

/** A full image id (sha256:<64 hex>) or its hex. */
export const ID_RE = /^(sha256:)?[a-f0-9]{64}$/;

export function parseImageRef(input: string): ImageRef {
  const ref = (input ?? '').trim();
  if (!ref) throw new RefError(input, 'empty');
  if (/^[a-f0-9]{64}$/.test(ref)) throw new RefError(input, 'cannot specify 64-byte hexadecimal strings');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new RefError(input, `invalid digest ${JSON.stringify(digest)}`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new RefError(input, `invalid tag ${JSON.stringify(tag)}`);
  }
  let domain = 'docker.io';
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first) {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (!DOMAIN.test(domain)) throw new RefError(input, `invalid registry ${JSON.stringify(domain)}`);
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (!path) throw new RefError(input, 'empty repository');
  if (path.toLowerCase() !== path) throw new RefError(input, 'repository name must be lowercase');
  for (const c of path.split('/')) if (!COMPONENT.test(c)) throw new RefError(input, `invalid repository component ${JSON.stringify(c)}`);
  if (domain.length + 1 + path.length > 255) throw new RefError(input, 'repository name must not be more than 255 characters');
  if (digest) return { domain, path, digest };
  return { domain, path, tag: tag ?? 'latest' };
}

/** docker.io/library/busybox */
export const repoName = (r: Pick<ImageRef, 'domain' | 'path'>): string => `${r.domain}/${r.path}`;

/** The canonical string: docker.io/library/busybox:latest or name@sha256:… */
export function refString(r: ImageRef): string {
  return r.digest ? `${repoName(r)}@${r.digest}` : `${repoName(r)}:${r.tag ?? 'latest'}`;
}

/** Normalize a reference string (throws RefError). */
export const normalizeRef = (ref: string): string => refString(parseImageRef(ref));

/** The short form people write: busybox:latest for docker.io/library/busybox:latest. */
export function familiarString(r: ImageRef): string {
  let name = repoName(r);
  if (r.domain === 'docker.io') name = r.path.startsWith('library/') ? r.path.slice('library/'.length) : r.path;
  return r.digest ? `${name}@${r.digest}` : `${name}:${r.tag ?? 'latest'}`;
}
