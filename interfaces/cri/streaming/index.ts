// CRI streaming (exec, attach, port-forward behind the URLs Exec/Attach/PortForward answer):
// a client for both transports and a server a runtime can mount.
export * from './protocol.js';
export {
  openStdio,
  runStdio,
  spdyConnect,
  PortForwardSession,
  StreamingError,
  listenPort,
  type StdioOptions,
  type StdioSession,
  type Collected,
  type PortForwardOptions,
} from './client.js';
export { StreamingServer, type StreamIo, type StreamingRuntime, type StreamingServerOptions } from './server.js';
export { SpdySession, SpdyStream } from './spdy.js';
