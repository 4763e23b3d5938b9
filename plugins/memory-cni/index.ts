export * from './plugin.js';
export * from './config.js';
export * from './faults.js';
export * from './store.js';
export * from './install.js';
