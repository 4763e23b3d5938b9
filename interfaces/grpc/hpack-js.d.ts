// The part of hpack.js (RFC 7541, no types of its own) that triad uses.
declare module 'hpack.js' {
  import type { Duplex } from 'node:stream';

  export interface HeaderField {
    name: string;
    value: string;
    /** Decoded from (or to be sent as) a "never indexed" literal. */
    neverIndex?: boolean;
    /** Encoder only: false = literal without indexing (leaves the dynamic table alone). */
    incremental?: boolean;
    /** Encoder only: false = raw octets instead of Huffman-coded strings. */
    huffman?: boolean;
  }

  interface Codec extends Duplex {
    /** Dynamic table size update (a decoder honours one received; an encoder emits one). */
    updateTableSize(size: number): void;
  }
  export interface Decompressor extends Codec {
    /** Decode everything written so far; errors are emitted as 'error' (synchronously) without cb. */
    execute(cb?: (err: Error | null) => void): void;
  }
  export interface Compressor extends Codec {}

  /** table.maxSize is the protocol limit (SETTINGS_HEADER_TABLE_SIZE), 4096 by default in HTTP/2. */
  interface Options {
    table: { maxSize: number };
  }
  const hpack: {
    decompressor: { create(opts: Options): Decompressor };
    compressor: { create(opts: Options): Compressor };
  };
  export default hpack;
}
