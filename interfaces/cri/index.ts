// triad/sdk/cri: the CRI contract (runtime.v1 messages, enums and the RuntimeService and
// ImageService definitions, generated from interfaces/proto), the typed client, and both halves
// of streaming (the server a runtime mounts for Exec/Attach/PortForward URLs, and the client).
export * from '../gen/cri/api.js';
export * from './client.js';
export * from './streaming/index.js';
