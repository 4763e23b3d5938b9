// AuthorityFilter on its own: what it hands the server for the octets a client sends. Every output
// header block is decoded with a *fresh* HPACK decoder, which only works if the re-encoding is
// stateless; everything that is not a header block must come out octet for octet.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import hpack, { type HeaderField } from 'hpack.js';
import { AuthorityFilter, FramingError, usableAuthority } from '../../interfaces/grpc/authority.js';
import { FRAME, PREFACE, frame, grpcMessage } from '../helpers/h2-raw.js';

const t = suite('grpc: AuthorityFilter (frames in, frames out)');
const END_STREAM = 0x1,
  END_HEADERS = 0x4,
  PADDED = 0x8,
  PRIORITY = 0x20;
const SOCK = '/run/containerd/containerd.sock';

const request = (authority: string | null, extra: HeaderField[] = []): HeaderField[] => [
  { name: ':method', value: 'POST' },
  { name: ':scheme', value: 'http' },
  { name: ':path', value: '/runtime.v1.RuntimeService/Version' },
  ...(authority === null ? [] : [{ name: ':authority', value: authority }]),
  { name: 'content-type', value: 'application/grpc' },
  { name: 'te', value: 'trailers' },
  ...extra,
];

/** A client-side encoder (incremental indexing, Huffman: what real clients do). */
const clientEncoder = () => {
  const enc = hpack.compressor.create({ table: { maxSize: 4096 } });
  return (fields: HeaderField[]) => {
    enc.write(fields.map((f) => ({ ...f })));
    return enc.read() as Buffer;
  };
};

interface OutFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}
function parseFrames(b: Buffer): OutFrame[] {
  const out: OutFrame[] = [];
  let off = 0;
  while (off < b.length) {
    const len = b.readUIntBE(off, 3);
    out.push({ type: b[off + 3], flags: b[off + 4], streamId: b.readUInt32BE(off + 5), payload: b.subarray(off + 9, off + 9 + len) });
    off += 9 + len;
  }
  assert.is(off, b.length, 'output ends on a frame boundary');
  return out;
}

/** Decode one block with a new decoder: proves the server's table is never needed. */
function decodeFresh(block: Buffer): HeaderField[] {
  const dec = hpack.decompressor.create({ table: { maxSize: 4096 } });
  let err: Error | undefined;
  dec.on('error', (e: Error) => {
    err = e;
  });
  dec.write(block);
  dec.execute();
  if (err) throw err;
  const fields: HeaderField[] = [];
  for (let f: HeaderField | null; (f = dec.read() as HeaderField | null);) fields.push(f);
  return fields;
}

/** Run client octets through a filter; return the output after the preface. */
function run(octets: Buffer, filter = new AuthorityFilter()): Buffer {
  const out = Buffer.concat(filter.transform(octets));
  assert.ok(out.subarray(0, PREFACE.length).equals(PREFACE), 'preface passed on');
  return out.subarray(PREFACE.length);
}

/** The header blocks in `frames` (HEADERS + CONTINUATION joined), decoded fresh. */
function blocks(frames: OutFrame[]): { first: OutFrame; frames: OutFrame[]; fields: HeaderField[] }[] {
  const res: { first: OutFrame; frames: OutFrame[]; fields: HeaderField[] }[] = [];
  for (let i = 0; i < frames.length; i++) {
    if (frames[i].type !== FRAME.HEADERS) continue;
    const group = [frames[i]];
    while (!(group[group.length - 1].flags & END_HEADERS)) group.push(frames[++i]);
    for (const f of group.slice(1)) assert.is(f.type, FRAME.CONTINUATION);
    const first = group[0];
    const payload = first.flags & PRIORITY ? first.payload.subarray(5) : first.payload;
    res.push({ first, frames: group, fields: decodeFresh(Buffer.concat([payload, ...group.slice(1).map((f) => f.payload)])) });
  }
  return res;
}

const value = (fields: HeaderField[], name: string) => fields.filter((f) => f.name === name).map((f) => f.value);

t('usableAuthority: host names and addresses stay; paths, %-encoding and empty do not', () => {
  for (const ok of ['localhost', 'localhost:10000', '127.0.0.1', '127.0.0.1:5', '[::1]', '[::1]:443', 'cri.example']) assert.ok(usableAuthority(ok), ok);
  for (const bad of [SOCK, encodeURIComponent(SOCK), '', 'unix:' + SOCK, 'unix:x', 'a b', 'host/path']) assert.not.ok(usableAuthority(bad), bad);
});

for (const [form, authority] of [
  ['socket path', SOCK],
  ['%-encoded path', encodeURIComponent(SOCK)],
  ['empty', ''],
  ['unix: target', 'unix://' + SOCK],
] as const) {
  t(`${form} as :authority becomes localhost; the rest of the block is kept in order`, () => {
    const enc = clientEncoder();
    const sent = request(authority, [{ name: 'x-trace', value: 'abc' }]);
    const out = parseFrames(run(Buffer.concat([PREFACE, frame(FRAME.HEADERS, END_HEADERS, 1, enc(sent))])));
    const [b] = blocks(out);
    assert.equal(
      b.fields.map((f) => [f.name, f.value]),
      sent.map((f) => [f.name, f.name === ':authority' ? 'localhost' : f.value]),
    );
  });
}

t('a usable authority is kept as sent', () => {
  const out = parseFrames(run(Buffer.concat([PREFACE, frame(FRAME.HEADERS, END_HEADERS, 1, clientEncoder()(request('localhost:1234')))])));
  assert.equal(value(blocks(out)[0].fields, ':authority'), ['localhost:1234']);
});

t('no :authority and no host: :authority localhost is added after the pseudo-headers; a path in host is replaced', () => {
  const enc = clientEncoder();
  const out = parseFrames(
    run(
      Buffer.concat([
        PREFACE,
        frame(FRAME.HEADERS, END_HEADERS, 1, enc(request(null))),
        frame(FRAME.HEADERS, END_HEADERS, 3, enc(request(null, [{ name: 'host', value: SOCK }]))),
        frame(FRAME.HEADERS, END_HEADERS, 5, enc(request(null, [{ name: 'host', value: 'localhost' }]))),
      ]),
    ),
  );
  const [a, b, c] = blocks(out);
  assert.equal(
    a.fields.map((f) => f.name),
    [':method', ':scheme', ':path', ':authority', 'content-type', 'te'],
  );
  assert.equal(value(a.fields, ':authority'), ['localhost']);
  assert.equal(value(b.fields, 'host'), ['localhost']);
  assert.equal(value(b.fields, ':authority'), []);
  assert.equal(value(c.fields, 'host'), ['localhost']);
  assert.equal(value(c.fields, ':authority'), []);
});

t('trailers (no :method) get no :authority', () => {
  const enc = clientEncoder();
  const out = parseFrames(
    run(
      Buffer.concat([
        PREFACE,
        frame(FRAME.HEADERS, END_HEADERS, 1, enc(request(SOCK))),
        frame(FRAME.HEADERS, END_HEADERS | END_STREAM, 1, enc([{ name: 'x-trailer', value: '1' }])),
      ]),
    ),
  );
  const [, tr] = blocks(out);
  assert.equal(
    tr.fields.map((f) => f.name),
    ['x-trailer'],
  );
  assert.is(tr.first.flags, END_HEADERS | END_STREAM);
});

t('other frames pass octet for octet, also when the input arrives one octet at a time', () => {
  const enc = clientEncoder();
  const data = frame(FRAME.DATA, END_STREAM, 1, grpcMessage(Buffer.from('hello world')));
  const others = Buffer.concat([frame(FRAME.SETTINGS, 0, 0, Buffer.from([0, 4, 0, 1, 0, 0])), frame(FRAME.WINDOW_UPDATE, 0, 0, Buffer.from([0, 1, 0, 0]))]);
  const input = Buffer.concat([PREFACE, others, frame(FRAME.HEADERS, END_HEADERS, 1, enc(request(SOCK))), data, frame(FRAME.PING, 0, 0, Buffer.alloc(8, 7))]);
  const whole = run(input);
  const f = new AuthorityFilter();
  const bytewise = Buffer.concat([...input].flatMap((b) => f.transform(Buffer.from([b]))));
  assert.ok(bytewise.equals(Buffer.concat([PREFACE, whole])), 'same output whatever the chunking');
  const frames = parseFrames(whole);
  assert.equal(
    frames.map((x) => x.type),
    [FRAME.SETTINGS, FRAME.WINDOW_UPDATE, FRAME.HEADERS, FRAME.DATA, FRAME.PING],
  );
  assert.ok(whole.subarray(0, others.length).equals(others));
  assert.ok(frames[3].payload.equals(data.subarray(9)));
  assert.is(frames[3].flags, END_STREAM);
});

t("the client encoder's dynamic table is followed across blocks, and its size updates honoured", () => {
  const enc = hpack.compressor.create({ table: { maxSize: 4096 } });
  const encode = (fields: HeaderField[]) => {
    enc.write(fields.map((f) => ({ ...f })));
    return enc.read() as Buffer;
  };
  const meta = [
    { name: 'x-request-id', value: 'r-1' },
    { name: 'x-tenant', value: 'blue' },
  ];
  const one = encode(request(SOCK, meta));
  const two = encode(request(SOCK, meta)); // mostly indexes into the dynamic table
  assert.ok(two.length < one.length / 2, 'second block leans on the dynamic table');
  (enc as unknown as { reset(): void }).reset(); // size update to 0 (evict all), then back to 4096
  const three = encode(request(SOCK, [{ name: 'x-tenant', value: 'green' }]));
  const out = parseFrames(
    run(
      Buffer.concat([
        PREFACE,
        frame(FRAME.HEADERS, END_HEADERS, 1, one),
        frame(FRAME.HEADERS, END_HEADERS, 3, two),
        frame(FRAME.HEADERS, END_HEADERS, 5, three),
      ]),
    ),
  );
  const [a, b, c] = blocks(out);
  assert.equal(value(a.fields, 'x-tenant'), ['blue']);
  assert.equal(b.fields, a.fields);
  assert.equal(value(c.fields, 'x-tenant'), ['green']);
  assert.equal(value(c.fields, 'x-request-id'), []);
  for (const x of [a, b, c]) assert.equal(value(x.fields, ':authority'), ['localhost']);
});

t('never-indexed fields stay never indexed', () => {
  const block = clientEncoder()(request(SOCK, [{ name: 'authorization', value: 'secret', neverIndex: true }]));
  const [b] = blocks(parseFrames(run(Buffer.concat([PREFACE, frame(FRAME.HEADERS, END_HEADERS, 1, block)]))));
  assert.equal(
    b.fields.filter((f) => f.name === 'authorization').map((f) => [f.value, f.neverIndex]),
    [['secret', true]],
  );
});

t('padding is dropped, priority and END_STREAM kept; a block over CONTINUATION frames is joined', () => {
  const block = clientEncoder()(request(SOCK));
  const prio = Buffer.from([0x80, 0, 0, 3, 99]); // exclusive on stream 3, weight 99
  const headers = frame(FRAME.HEADERS, PADDED | PRIORITY | END_STREAM, 5, Buffer.concat([Buffer.from([4]), prio, block.subarray(0, 6), Buffer.alloc(4)]));
  const cont1 = frame(FRAME.CONTINUATION, 0, 5, block.subarray(6, 10));
  const cont2 = frame(FRAME.CONTINUATION, END_HEADERS, 5, block.subarray(10));
  const out = parseFrames(run(Buffer.concat([PREFACE, headers, cont1, cont2])));
  assert.is(out.length, 1);
  assert.is(out[0].flags, PRIORITY | END_STREAM | END_HEADERS);
  assert.is(out[0].streamId, 5);
  assert.ok(out[0].payload.subarray(0, 5).equals(prio));
  assert.equal(value(blocks(out)[0].fields, ':authority'), ['localhost']);
});

t('a block larger than 16384 octets goes out as HEADERS + CONTINUATION frames of at most 16384', () => {
  const big = 'x'.repeat(40_000);
  const block = clientEncoder()(request(SOCK, [{ name: 'x-big', value: big }]));
  const input = [frame(FRAME.HEADERS, PRIORITY, 1, Buffer.concat([Buffer.from([0, 0, 0, 0, 15]), block.subarray(0, 16000)]))];
  for (let off = 16000; off < block.length; off += 16000)
    input.push(frame(FRAME.CONTINUATION, off + 16000 >= block.length ? END_HEADERS : 0, 1, block.subarray(off, off + 16000)));
  const out = parseFrames(run(Buffer.concat([PREFACE, ...input])));
  assert.ok(out.length >= 3, `${out.length} frames`);
  for (const f of out) assert.ok(f.payload.length <= 16384, `frame of ${f.payload.length}`);
  assert.is(out[0].payload.length, 16384);
  assert.is(out[0].flags, PRIORITY);
  assert.is(out[out.length - 1].flags, END_HEADERS);
  assert.equal(value(blocks(out)[0].fields, 'x-big'), [big]);
});

const broken: [string, () => Buffer][] = [
  ['an HTTP/1 request', () => Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
  ['CONTINUATION without HEADERS', () => Buffer.concat([PREFACE, frame(FRAME.CONTINUATION, END_HEADERS, 1, Buffer.from([0x82]))])],
  [
    'a DATA frame inside a header block',
    () => Buffer.concat([PREFACE, frame(FRAME.HEADERS, 0, 1, Buffer.from([0x82])), frame(FRAME.DATA, 0, 1, Buffer.alloc(3))]),
  ],
  [
    'CONTINUATION for another stream',
    () => Buffer.concat([PREFACE, frame(FRAME.HEADERS, 0, 1, Buffer.from([0x82])), frame(FRAME.CONTINUATION, END_HEADERS, 3, Buffer.from([0x86]))]),
  ],
  ['HEADERS on stream 0', () => Buffer.concat([PREFACE, frame(FRAME.HEADERS, END_HEADERS, 0, Buffer.from([0x82]))])],
  ['padding longer than the frame', () => Buffer.concat([PREFACE, frame(FRAME.HEADERS, END_HEADERS | PADDED, 1, Buffer.from([9, 0x82]))])],
  ['an index past both tables', () => Buffer.concat([PREFACE, frame(FRAME.HEADERS, END_HEADERS, 1, Buffer.from([0xff, 0x10]))])],
  ['a truncated literal', () => Buffer.concat([PREFACE, frame(FRAME.HEADERS, END_HEADERS, 1, Buffer.from([0x40, 0x0a, 0x61]))])],
  [
    'a table size update over SETTINGS_HEADER_TABLE_SIZE',
    () => Buffer.concat([PREFACE, frame(FRAME.HEADERS, END_HEADERS, 1, Buffer.from([0x3f, 0xe1, 0x3f, 0x82]))]),
  ],
  ['a header frame over 1 MiB', () => Buffer.concat([PREFACE, frame(FRAME.HEADERS, 0, 1, Buffer.alloc(0)).fill(0xff, 0, 3)])],
];
for (const [what, octets] of broken) {
  t(`${what}: FramingError (the connection is closed)`, () => {
    assert.throws(
      () => new AuthorityFilter().transform(octets()),
      (e: unknown) => e instanceof FramingError,
    );
  });
}

t.run();
