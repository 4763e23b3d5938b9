// triad/sdk/csi: the CSI contract (csi.v1 messages, enums and the Identity, Controller, Node,
// GroupController and SnapshotMetadata definitions, generated from interfaces/proto), the typed
// client, and the driver kit (validation, capabilities, capacity, locks, mounts, stats, paths).
export * from '../gen/csi/csi.js';
export * from './client.js';
export * from './sdk/index.js';
