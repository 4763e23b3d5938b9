// google.protobuf.Timestamp as ts-proto wants it (int64 seconds as bigint).
export function timestamp(d: Date): { seconds: bigint; nanos: number } {
  const ms = d.getTime();
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}
