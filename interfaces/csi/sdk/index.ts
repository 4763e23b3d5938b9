// A small kit for writing CSI drivers in TypeScript, shared by triad's drivers (plugins may not
// import each other). One concern per module:
//   validate      required fields, names, absolute paths, plugin names (INVALID_ARGUMENT naming the field)
//   capability    volume capabilities: access modes, mount vs block, compatibility, request builders
//   advertise     Get*Capabilities list builders
//   capacity      capacity_range: validation, sizing new volumes, expansion (OUT_OF_RANGE)
//   topology      accessibility requirements and segment matching
//   pagination    list tokens (ABORTED on a token the driver did not issue)
//   locks         per-volume operation locks (ABORTED when busy)
//   mount         bind mount, read-only remount, unmount, is-mountpoint (mountinfo)
//   stats         du + statfs volume usage
//   paths         path-safe ids and names, staying inside a root, target paths outside it
//   atomic-file   crash-safe state files
//   records       volumes/snapshots by id and by name, the versioned JSON state file
//   publications  where a volume is in use and the spec's repeat/order rules over it
//   errors, time  status helpers and protobuf timestamps
export * from './advertise.js';
export * from './atomic-file.js';
export * from './capability.js';
export * from './capacity.js';
export * from './errors.js';
export * from './locks.js';
export * from './mount.js';
export * from './pagination.js';
export * from './paths.js';
export * from './publications.js';
export * from './records.js';
export * from './stats.js';
export * from './time.js';
export * from './topology.js';
export * from './validate.js';
