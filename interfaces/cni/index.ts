// The CNI library: runtime side (CniConfig), plugin side (skel), and the pieces both use.
export * from './types.js';
export * from './errors.js';
export * from './ip.js';
export * from './version.js';
export * from './conf.js';
export * from './validate.js';
export * from './runtime-config.js';
export * from './exec.js';
export * from './cache.js';
export * from './libcni.js';
export * from './skel.js';
export * from './install.js';
