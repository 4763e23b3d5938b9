// triad port-forward POD [LOCAL:]REMOTE… [--address 127.0.0.1]
// As kubectl port-forward: listens locally and forwards each connection to the port in the pod
// through the runtime's streaming server (CRI PortForward), until Ctrl-C.
import type { Command } from 'commander';
import { listenPort, PortForwardSession } from '../../interfaces/cri/streaming/index.js';
import { addCommon, kubeletClient, podName, type CommonOptions } from '../context.js';
import { exitWith } from '../terminal.js';
import { transportOf } from './exec.js';

export interface PortSpec {
  local: number;
  remote: number;
}

/** "8080" → 8080:8080, "9000:80" → 9000:80, ":80" → any free local port. */
export function parsePortSpec(s: string): PortSpec {
  const m = /^(\d*):(\d+)$|^(\d+)$/.exec(s);
  const port = (v: string, what: string, zeroOk = false) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < (zeroOk ? 0 : 1) || n > 65535)
      throw new Error(`port-forward: ${what} port in ${JSON.stringify(s)} must be ${zeroOk ? 0 : 1}–65535`);
    return n;
  };
  if (!m) throw new Error(`port-forward: ${JSON.stringify(s)} is not [LOCAL:]REMOTE (e.g. 8080, 9000:80, :80)`);
  if (m[3]) return { local: port(m[3], 'local'), remote: port(m[3], 'remote') };
  return { local: m[1] ? port(m[1], 'local', true) : 0, remote: port(m[2], 'remote') };
}

export function register(program: Command): void {
  addCommon(
    program
      .command('port-forward')
      .description('forward local ports to ports of a pod until Ctrl-C')
      .argument('<pod>', 'pod name (or pod/NAME)')
      .argument('<ports...>', '[LOCAL:]REMOTE, e.g. 8080 9000:80 :443')
      .option('--address <addr>', 'local address to listen on', '127.0.0.1')
      .option('--transport <t>', 'streaming transport: spdy or websocket (SPDY tunnelled in WebSocket)', 'spdy'),
  ).action(async (pod: string, specs: string[], opts: CommonOptions & { address: string; transport: string }) => {
    const transport = transportOf(opts.transport);
    const ports = specs.map(parsePortSpec);
    const c = await kubeletClient(opts);
    const { url } = await c.streamUrl(opts.namespace!, podName(pod), 'portforward', { ports: ports.map((p) => p.remote) });
    const pf = await PortForwardSession.open(url, { transport });
    const servers = [];
    try {
      for (const p of ports) {
        const srv = await pf.listen(p.local, p.remote, opts.address, (e) => process.stderr.write(`error forwarding port ${p.remote}: ${e.message}\n`));
        srv.on('connection', () => process.stdout.write(`Handling connection for ${listenPort(srv)}\n`));
        servers.push(srv);
        process.stdout.write(`Forwarding from ${opts.address}:${listenPort(srv)} -> ${p.remote}\n`);
      }
    } catch (e) {
      pf.close();
      throw new Error(`port-forward: cannot listen: ${(e as Error).message}`);
    }
    const code = await new Promise<number>((resolve) => {
      process.once('SIGINT', () => resolve(0));
      process.once('SIGTERM', () => resolve(0));
      void pf.closed.then(() => {
        process.stderr.write('port-forward: the streaming session ended\n');
        resolve(1);
      });
    });
    for (const s of servers) s.close();
    pf.close();
    exitWith(code);
  });
}
