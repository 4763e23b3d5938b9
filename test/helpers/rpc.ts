// The one assertion every plugin test needs: this call fails with that gRPC code (by name).
import * as assert from 'uvu/assert';
import { RpcError } from '../../interfaces/grpc/errors.js';

export async function fails(p: Promise<unknown>, code: string, re?: RegExp): Promise<RpcError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.instance(err, RpcError, `expected ${code}, the call succeeded`);
  const r = err as RpcError;
  assert.is(r.codeName, code, r.message);
  if (re) assert.match(r.message, re);
  return r;
}
