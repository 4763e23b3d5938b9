// A tiny deterministic ustar writer for image layers. Every entry carries its own mode, uid and
// gid (so /home/triad can belong to uid 1000 while everything else is root's), mtime 0, no user
// or group names: the same entries always give the same bytes, hence the same layer digest.
// Why not `tar` via execa: GNU tar's --owner/--group apply to the whole archive, and reading a
// staging directory would also take the caller's umask and filesystem into the digest.

export type TarEntry =
  | { type: 'dir'; path: string; mode?: number; uid?: number; gid?: number }
  | { type: 'file'; path: string; data: Buffer; mode?: number; uid?: number; gid?: number }
  | { type: 'symlink'; path: string; target: string; uid?: number; gid?: number };

const BLOCK = 512;

function octal(n: number, width: number): string {
  // width includes the trailing NUL
  const s = n.toString(8);
  if (s.length > width - 1) throw new Error(`tar: value ${n} does not fit in ${width - 1} octal digits`);
  return s.padStart(width - 1, '0') + '\0';
}

function splitName(name: string): { prefix: string; name: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  // ustar: prefix (≤155) + '/' + name (≤100), split at a slash
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest) return { prefix, name: rest };
  }
  throw new Error(`tar: path too long for ustar: ${name}`);
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  const clean = e.path.replace(/^\/+/, '').replace(/\/+$/, '');
  if (!clean) throw new Error(`tar: empty path`);
  const { prefix, name } = splitName(e.type === 'dir' ? clean + '/' : clean);
  const put = (s: string, off: number, len: number) => {
    const b = Buffer.from(s, 'utf8');
    if (b.length > len) throw new Error(`tar: field too long: ${s}`);
    b.copy(h, off);
  };
  const mode = e.type === 'symlink' ? 0o777 : (e.mode ?? (e.type === 'dir' ? 0o755 : 0o644));
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(e.uid ?? 0, 8), 108, 8);
  put(octal(e.gid ?? 0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12); // mtime: the epoch
  put('        ', 148, 8); // checksum placeholder: spaces
  put(e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2', 156, 1);
  if (e.type === 'symlink') put(e.target, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  // uname/gname stay empty: numeric ids only
  put(prefix, 345, 155);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

/** Sort so every parent comes before its children, then by name: a stable, canonical order. */
export function sortEntries(entries: TarEntry[]): TarEntry[] {
  const key = (e: TarEntry) => e.path.replace(/^\/+/, '').replace(/\/+$/, '').split('/');
  return [...entries].sort((a, b) => {
    const ka = key(a),
      kb = key(b);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    }
    return ka.length - kb.length;
  });
}

/** The archive bytes (uncompressed), entries in canonical order, duplicates rejected. */
export function tar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  const seen = new Set<string>();
  for (const e of sortEntries(entries)) {
    const p = e.path.replace(/^\/+/, '').replace(/\/+$/, '');
    if (seen.has(p)) throw new Error(`tar: duplicate entry ${p}`);
    seen.add(p);
    const data = e.type === 'file' ? e.data : Buffer.alloc(0);
    parts.push(header(e, data.length));
    if (data.length) {
      parts.push(data);
      const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad, 0));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}
