// triad/sdk/cri: the CRI contract (runtime.v1 messages, enums and the RuntimeService and
// ImageService definitions, generated from interfaces/proto) and the typed client.
export * from '../gen/cri/api.js';
export * from './client.js';
