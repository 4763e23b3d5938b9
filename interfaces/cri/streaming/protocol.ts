// The names and messages of Kubernetes' streaming protocols, shared by client and server.
//
// exec/attach over SPDY: the client POSTs with `Upgrade: SPDY/3.1` and one
// `X-Stream-Protocol-Version` header per version it speaks; after 101 it opens one stream per
// channel, named by the `streamType` header. v2 added the error stream, v3 the resize stream,
// v4 made the error stream a JSON metav1.Status carrying the exit code.
// exec/attach over WebSocket: subprotocol v5.channel.k8s.io (or v4), every message starts with
// its channel number (0 stdin … 4 resize); v5 adds message [255, channel] to close a channel.
// port-forward over SPDY: portforward.k8s.io, a pair of streams per connection (streamType
// error/data, headers port and requestID). Over WebSocket (kubectl ≥ 1.31, the
// PortForwardWebsockets feature, v2 of the port-forward protocol) the very same SPDY frames
// travel inside binary WebSocket messages, under the subprotocol SPDY/3.1+portforward.k8s.io.

export type Transport = 'spdy' | 'websocket';
export const TRANSPORTS: readonly Transport[] = ['spdy', 'websocket'];

export const HEADER_PROTOCOL = 'X-Stream-Protocol-Version';
export const SPDY_UPGRADE = 'SPDY/3.1';

export const STREAM_V4 = 'v4.channel.k8s.io';
export const STREAM_V3 = 'v3.channel.k8s.io';
export const STREAM_V2 = 'v2.channel.k8s.io';
export const STREAM_V5 = 'v5.channel.k8s.io';
/** SPDY exec/attach versions, best first. */
export const SPDY_STREAM_PROTOCOLS = [STREAM_V4, STREAM_V3, STREAM_V2];
/** WebSocket exec/attach versions, best first. */
export const WS_STREAM_PROTOCOLS = [STREAM_V5, STREAM_V4];

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const WS_PORT_FORWARD_PROTOCOL = `${SPDY_UPGRADE}+${PORT_FORWARD_PROTOCOL}`;

export const StreamType = { error: 'error', stdin: 'stdin', stdout: 'stdout', stderr: 'stderr', resize: 'resize', data: 'data' } as const;
export const HEADER_STREAM_TYPE = 'streamType';
export const HEADER_PORT = 'port';
export const HEADER_REQUEST_ID = 'requestID';

/** WebSocket channel numbers (v4/v5). */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export interface TermSize {
  width: number;
  height: number;
}

/** metav1.Status as the v4/v5 error channel carries it. */
export interface StatusMessage {
  metadata?: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

export function successStatus(): StatusMessage {
  return { metadata: {}, status: 'Success' };
}

export function exitCodeStatus(cmd: string[], exitCode: number): StatusMessage {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${cmd.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

export function failureStatus(message: string): StatusMessage {
  return { metadata: {}, status: 'Failure', message };
}

/** What the error channel said: an exit code, or a failure message. */
export type Outcome = { exitCode: number } | { error: string };

/** Read a v4/v5 error channel; an empty one (attach that just ended) counts as success. */
export function outcomeOf(text: string): Outcome {
  if (!text.trim()) return { exitCode: 0 };
  let s: StatusMessage;
  try {
    s = JSON.parse(text) as StatusMessage;
  } catch {
    return { error: text.trim() };
  }
  if (s.status === 'Success') return { exitCode: 0 };
  if (s.reason === 'NonZeroExitCode') {
    const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
    const n = Number(cause?.message);
    if (Number.isInteger(n)) return { exitCode: n };
  }
  return { error: s.message || 'stream failed without a message' };
}

/** Split newline-delimited JSON resize messages ({"Width":…,"Height":…}); returns the rest. */
export function parseResizes(buf: string, each: (s: TermSize) => void): string {
  let nl: number;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl).trim();
    buf = buf.slice(nl + 1);
    if (line) parseResize(line, each);
  }
  // A message without a newline (a client that does not delimit) is complete when it parses.
  if (buf.trim()) {
    try {
      JSON.parse(buf);
      parseResize(buf, each);
      return '';
    } catch {
      /* wait for more */
    }
  }
  return buf;
}

function parseResize(text: string, each: (s: TermSize) => void): void {
  try {
    const v = JSON.parse(text) as { Width?: number; Height?: number };
    const width = Number(v.Width),
      height = Number(v.Height);
    if (width > 0 && height > 0) each({ width, height });
  } catch {
    /* a malformed resize is ignored, as kubelet does */
  }
}

export const resizeMessage = (s: TermSize): string => `${JSON.stringify({ Width: s.width, Height: s.height })}\n`;
