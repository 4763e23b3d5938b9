// adler32 as zlib computes a preset dictionary's id (RFC 1950), to check the SPDY dictionary.
export function adler32(b: Buffer): number {
  let s1 = 1,
    s2 = 0;
  for (const x of b) {
    s1 = (s1 + x) % 65521;
    s2 = (s2 + s1) % 65521;
  }
  return ((s2 << 16) | s1) >>> 0;
}
