// triad serve memory-cri|memory-csi|hostpath-csi --socket PATH — run one plugin on its socket
// until SIGINT/SIGTERM, so any client (crictl, csi-sanity, containerd, triad) can drive it.
import type { Command } from 'commander';
import { parseFaultRules } from '../../../interfaces/faults.js';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { loadImageFile, serveMemoryCri } from '../../../plugins/memory-cri/index.js';
import { serveMemoryCsi } from '../../../plugins/memory-csi/index.js';
import { registerHostpath } from './serve-hostpath.js';

/** Serve until a signal, then close cleanly. */
export async function untilSignal(what: string, endpoint: string, close: () => Promise<unknown>): Promise<void> {
  console.error(`${what} serving on ${endpoint}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await close();
}

function faultsFrom(file?: string) {
  if (!file) return [];
  const raw = parseYaml(readFileSync(file, 'utf8')) as unknown;
  return parseFaultRules(Array.isArray(raw) ? raw : (raw as { faults?: unknown })?.faults, file);
}

export function register(program: Command): void {
  const serve = program.command('serve').description('serve one plugin on a unix socket until interrupted');
  serve.command('memory-cri')
    .description('the in-memory CRI runtime (RuntimeService + ImageService)')
    .requiredOption('--socket <path>', 'unix socket to listen on')
    .option('--faults <file>', 'fault rules (YAML list, or a map with faults:)')
    .option('--images <file>', 'more images to serve besides the built-in ones (a YAML list; format in plugins/memory-cri/README.md)')
    .action(async (o: { socket: string; faults?: string; images?: string }) => {
      const images = o.images ? loadImageFile(o.images) : undefined;
      const s = await serveMemoryCri({ endpoint: o.socket, faults: faultsFrom(o.faults), images });
      await untilSignal('memory-cri', s.endpoint, () => s.close());
    });
  serve.command('memory-csi')
    .description('the in-memory CSI driver (Identity, Controller, Node, GroupController)')
    .requiredOption('--socket <path>', 'unix socket to listen on')
    .option('--name <name>', 'driver name', 'memory.csi.triad.dev')
    .option('--node-id <id>', 'node id')
    .option('--faults <file>', 'fault rules (YAML list, or a map with faults:)')
    .action(async (o: { socket: string; name: string; nodeId?: string; faults?: string }) => {
      const s = await serveMemoryCsi({ endpoint: o.socket, name: o.name, nodeId: o.nodeId, faults: faultsFrom(o.faults) });
      await untilSignal('memory-csi', s.endpoint, () => s.close());
    });
  registerHostpath(serve);
}
