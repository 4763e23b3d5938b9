// triad/sdk: what a plugin is written with. The transport pieces every kind shares (serve and
// call gRPC services, status errors, endpoints, fault rules) at the top level, and the three
// interfaces as namespaces (sdk.cri, sdk.csi, sdk.cni) — or flat from triad/sdk/cri,
// triad/sdk/csi and triad/sdk/cni, whose generated names would otherwise collide.
export * from './grpc/server.js';
export * from './grpc/client.js';
export * from './grpc/errors.js';
export { grpcDefinition, methodPath } from './grpc/definition.js';
export type { DeepPartial, MessageFns, MethodDef, RequestOf, ResponseOf, ServiceDef } from './grpc/types.js';
export * from './endpoint.js';
export * from './faults.js';
export * as cri from './cri/index.js';
export * as csi from './csi/index.js';
export * as cni from './cni/index.js';
