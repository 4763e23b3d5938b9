// triad serve memory-cri|memory-csi|hostpath-csi --socket PATH — run one plugin on its socket
// until SIGINT/SIGTERM, so any client (crictl, csi-sanity, containerd, triad) can drive it.
import type { Command } from 'commander';
import { parseFaultRules } from '../../interfaces/faults.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invokeMemoryCni, MEMORY_CNI_TYPE } from '../../plugins/memory-cni/index.js';
import { parse as parseYaml } from 'yaml';
import { loadImageFile, serveMemoryCri } from '../../plugins/memory-cri/index.js';
import { serveMemoryCsi } from '../../plugins/memory-csi/index.js';
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

/** The in-memory CNI network `triad run` gives a memory runtime: its conflist, IPAM state and cache in dir. */
function memoryNetwork(dir: string, subnet: string) {
  const config = join(dir, '10-triad-memory.conflist');
  writeFileSync(
    config,
    JSON.stringify({ cniVersion: '1.1.0', name: 'triad-memory', plugins: [{ type: MEMORY_CNI_TYPE, subnet, dataDir: join(dir, 'ipam') }] }, null, 2),
  );
  return { type: 'cni' as const, config, binDirs: [dir], cacheDir: join(dir, 'cache'), inProcess: { [MEMORY_CNI_TYPE]: invokeMemoryCni } };
}

function faultsFrom(file?: string) {
  if (!file) return [];
  const raw = parseYaml(readFileSync(file, 'utf8')) as unknown;
  return parseFaultRules(Array.isArray(raw) ? raw : (raw as { faults?: unknown })?.faults, file);
}

export function register(program: Command): void {
  const serve = program.command('serve').description('serve one plugin on a unix socket until interrupted');
  serve
    .command('memory-cri')
    .description('the in-memory CRI runtime (RuntimeService + ImageService)')
    .requiredOption('--socket <path>', 'unix socket to listen on')
    .option('--faults <file>', 'fault rules (YAML list, or a map with faults:)')
    .option('--images <file>', 'more images to serve besides the built-in ones (a YAML list; format in plugins/memory-cri/README.md)')
    .option(
      '--network <type>',
      'memory: pod IPs from the in-memory CNI plugin (as triad run); none: no pod network, Status reports NetworkReady false as containerd does without a CNI config',
      'memory',
    )
    .option('--subnet <cidr>', 'pod subnet of the memory network', '10.88.0.0/16')
    .action(async (o: { socket: string; faults?: string; images?: string; network: string; subnet: string }) => {
      if (o.network !== 'memory' && o.network !== 'none') throw new Error(`--network: ${JSON.stringify(o.network)} is not memory or none`);
      const images = o.images ? loadImageFile(o.images) : undefined;
      const netDir = mkdtempSync(join(tmpdir(), 'triad-serve-memory-cri-'));
      try {
        const network = o.network === 'none' ? { type: 'none' as const, ready: false } : memoryNetwork(netDir, o.subnet);
        const s = await serveMemoryCri({ endpoint: o.socket, faults: faultsFrom(o.faults), images, network });
        await untilSignal('memory-cri', s.endpoint, () => s.close());
      } finally {
        rmSync(netDir, { recursive: true, force: true });
      }
    });
  serve
    .command('memory-csi')
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
