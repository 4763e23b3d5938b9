// triad: the SDK (triad/sdk), conformance from code (triad/conformance) and the harness node
// (triad/harness) in one import. The three interfaces stay namespaces here (cri, csi, cni), as
// in triad/sdk; import triad/sdk/cri, triad/sdk/csi or triad/sdk/cni for their names unqualified.
export * from './interfaces/index.js';
export * from './conformance/index.js';
export * from './harness/index.js';
// Both name a Status: gRPC's status codes keep the name, a case's status is CaseStatus here.
export { Status } from './interfaces/index.js';
export type { Status as CaseStatus } from './conformance/index.js';
