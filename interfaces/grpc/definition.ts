// ts-proto generic definition -> grpc-js ServiceDefinition. Responses and requests pass through
// fromPartial before encoding, so handlers and callers may omit fields (proto3 defaults).
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { ServiceDef } from './types.js';

const cache = new WeakMap<ServiceDef, ServiceDefinition>();

export function grpcDefinition(def: ServiceDef): ServiceDefinition {
  let out = cache.get(def);
  if (out) return out;
  const built: Record<string, ServiceDefinition[string]> = {};
  for (const [key, m] of Object.entries(def.methods)) {
    built[key] = {
      path: methodPath(def, key),
      originalName: key,
      requestStream: m.requestStream,
      responseStream: m.responseStream,
      requestSerialize: (v: unknown) => Buffer.from(m.requestType.encode(m.requestType.fromPartial(v ?? {})).finish()),
      requestDeserialize: (b: Buffer) => m.requestType.decode(b),
      responseSerialize: (v: unknown) => Buffer.from(m.responseType.encode(m.responseType.fromPartial(v ?? {})).finish()),
      responseDeserialize: (b: Buffer) => m.responseType.decode(b),
    };
  }
  out = built as ServiceDefinition;
  cache.set(def, out);
  return out;
}

/** "/runtime.v1.RuntimeService/RunPodSandbox" */
export function methodPath(def: ServiceDef, key: string): string {
  return `/${def.fullName}/${def.methods[key].name}`;
}
