// Every message of every contract, filled with a value in every field (nested to a few levels),
// survives encode→decode and toJSON→fromJSON through the generated code. A field whose TS name,
// type or number were wrong in generation would come back different.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as cri from '../../interfaces/gen/cri/api.js';
import * as csi from '../../interfaces/gen/csi/csi.js';
import { descriptors, enumsOf, messagesOf, tsFieldName, type FieldDesc, type FileDesc, type MessageDesc } from '../helpers/descriptors.js';
import type { MessageFns } from '../../interfaces/grpc/types.js';

const modules: Record<string, Record<string, unknown>> = { 'cri/api.proto': cri, 'csi/csi.proto': csi };
try {
  modules['cni/cni.proto'] = await import('../../interfaces/gen/cni/cni.js' as string);
} catch {
  /* the CNI contract is checked by its own test once generated */
}

// decode() yields Buffers for bytes fields under env=node; compare contents, not classes.
function plain(v: unknown): unknown {
  if (Buffer.isBuffer(v)) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

const t = suite('contracts: encode/decode and JSON round trips of every message');

function fill(file: FileDesc, fullName: string, depth: number, seed: number): Record<string, unknown> {
  const msgs = messagesOf(file);
  const enums = enumsOf(file);
  const m = msgs.get(fullName);
  if (!m) return {};
  const out: Record<string, unknown> = {};
  const seenOneof = new Set<number>();
  for (const f of m.desc.field ?? []) {
    if (f.oneofIndex !== undefined && !f.proto3Optional) {
      if (seenOneof.has(f.oneofIndex)) continue;
      seenOneof.add(f.oneofIndex);
    }
    const v = value(file, f, depth, seed + f.number, msgs, enums);
    if (v !== undefined) out[tsFieldName(f.name)] = v;
  }
  return out;
}

function scalar(f: FieldDesc, seed: number): unknown {
  switch (f.type) {
    case 'TYPE_STRING':
      return `s${seed}-ü`;
    case 'TYPE_BOOL':
      return true;
    case 'TYPE_BYTES':
      return new Uint8Array([1, 2, seed & 255, 0xff]);
    case 'TYPE_INT64':
    case 'TYPE_SINT64':
    case 'TYPE_SFIXED64':
      return -(1n << 60n) - BigInt(seed);
    case 'TYPE_UINT64':
    case 'TYPE_FIXED64':
      return (1n << 63n) + BigInt(seed);
    case 'TYPE_INT32':
    case 'TYPE_SINT32':
    case 'TYPE_SFIXED32':
      return -1000 - seed;
    case 'TYPE_UINT32':
    case 'TYPE_FIXED32':
      return 4_000_000_000 + seed;
    case 'TYPE_DOUBLE':
      return 1.5 + seed;
    case 'TYPE_FLOAT':
      return 0.5;
    default:
      return undefined;
  }
}

const wrapperValue: Record<string, unknown> = {
  '.google.protobuf.Int64Value': -(1n << 40n),
  '.google.protobuf.UInt64Value': 1n << 50n,
  '.google.protobuf.Int32Value': -7,
  '.google.protobuf.UInt32Value': 7,
  '.google.protobuf.BoolValue': true,
  '.google.protobuf.StringValue': 'w',
  '.google.protobuf.DoubleValue': 2.5,
  '.google.protobuf.FloatValue': 0.25,
  '.google.protobuf.BytesValue': new Uint8Array([9]),
};

function value(file: FileDesc, f: FieldDesc, depth: number, seed: number, msgs: ReturnType<typeof messagesOf>, enums: ReturnType<typeof enumsOf>): unknown {
  const one = (): unknown => {
    if (f.type === 'TYPE_ENUM') {
      const e = enums.get(f.typeName!);
      return e?.value.find((v) => v.number !== 0)?.number ?? 0;
    }
    if (f.type === 'TYPE_MESSAGE') {
      if (f.typeName! in wrapperValue) return wrapperValue[f.typeName!];
      if (f.typeName === '.google.protobuf.Timestamp')
        // ts-proto's JSON form of Timestamp is an RFC 3339 string with millisecond precision, so
        // nanos stay whole milliseconds here; the binary form keeps every nanosecond (see grpc tests).
        return { seconds: 1_700_000_000n + BigInt(seed), nanos: 123_000_000 };
      if (f.typeName === '.google.protobuf.Struct') return { a: 'b', n: 1, nested: { x: [true, null] } };
      if (depth <= 0) return undefined;
      return fill(file, f.typeName!, depth - 1, seed * 3);
    }
    return scalar(f, seed);
  };
  if (f.label === 'LABEL_REPEATED') {
    const entry = f.type === 'TYPE_MESSAGE' ? msgs.get(f.typeName!)?.desc : undefined;
    if (entry?.options?.mapEntry) {
      const [kf, vf] = entry.field!;
      const k = kf.type === 'TYPE_STRING' ? `k${seed}` : scalar(kf, seed);
      const v = value(file, vf, depth, seed + 1, msgs, enums);
      return v === undefined ? undefined : { [String(k)]: v };
    }
    const a = one();
    const b = one();
    return a === undefined ? undefined : [a, b];
  }
  return one();
}

for (const file of descriptors().filter((f) => modules[f.name])) {
  const mod = modules[file.name];
  t(`${file.name}: every message round-trips (binary and JSON)`, () => {
    let count = 0;
    for (const [fullName, { desc, tsName }] of messagesOf(file)) {
      if (desc.options?.mapEntry) continue;
      const fns = mod[tsName] as MessageFns<unknown> | undefined;
      assert.ok(fns && typeof fns.encode === 'function', `${file.name}: no generated message ${tsName} for ${fullName}`);
      const msg = fns!.fromPartial(fill(file, fullName, 3, 1));
      const back = plain(fns!.decode(fns!.encode(msg).finish()));
      assert.equal(back, msg, `${fullName}: binary round trip differs`);
      const viaJson = plain(fns!.fromJSON(JSON.parse(JSON.stringify(fns!.toJSON(msg)))));
      assert.equal(viaJson, msg, `${fullName}: JSON round trip differs`);
      count++;
    }
    assert.ok(count > 0);
  });

  t(`${file.name}: no field is left at its default by the filler (checks the filler and TS names)`, () => {
    for (const [fullName, { desc, tsName }] of messagesOf(file)) {
      if (desc.options?.mapEntry) continue;
      const fns = mod[tsName] as MessageFns<Record<string, unknown>>;
      const msg = fns.fromPartial(fill(file, fullName, 3, 1));
      for (const f of desc.field ?? []) {
        if (f.oneofIndex !== undefined && !f.proto3Optional) continue;
        const name = tsFieldName(f.name);
        assert.ok(name in msg, `${fullName}.${f.name}: generated TS has no property ${name}`);
      }
    }
  });
}

t.run();

export type { MessageDesc };
