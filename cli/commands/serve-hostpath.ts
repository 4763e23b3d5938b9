// triad serve hostpath-csi — the hostPath CSI driver on a unix socket until SIGINT/SIGTERM.
// Volumes persist in --root across restarts; stopping the server never deletes them.
import { InvalidArgumentError, type Command } from 'commander';
import { parseQuantity } from '../../interfaces/csi/sdk/index.js';
import { DEFAULT_DRIVER_NAME, serveHostpathCsi } from '../../plugins/hostpath/index.js';

function bytes(value: string): bigint {
  try {
    return parseQuantity(value, '--capacity');
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function count(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a non-negative integer`);
  return Number(value);
}

interface Options {
  socket: string;
  root: string;
  nodeId: string;
  name: string;
  capacity?: bigint;
  maxVolumesPerNode?: number;
}

export function registerHostpath(serveCommand: Command): void {
  serveCommand
    .command('hostpath-csi')
    .description('the hostPath CSI driver: directory volumes under --root, real bind mounts (root only on the node side)')
    .requiredOption('--socket <path>', 'unix socket to listen on')
    .requiredOption('--root <dir>', 'directory holding volumes, snapshots and state.json (created if missing)')
    .requiredOption('--node-id <id>', "this node's id")
    .option('--name <name>', 'driver name', DEFAULT_DRIVER_NAME)
    .option('--capacity <bytes>', "pool size in bytes or as a quantity such as 10Gi (default: the size of the root's filesystem)", bytes)
    .option('--max-volumes-per-node <n>', 'max_volumes_per_node reported and enforced (0 = no limit)', count)
    .action(async (o: Options) => {
      const s = await serveHostpathCsi({
        endpoint: o.socket,
        root: o.root,
        nodeId: o.nodeId,
        name: o.name,
        capacityBytes: o.capacity,
        maxVolumesPerNode: o.maxVolumesPerNode,
      });
      console.error(`hostpath-csi ${o.name} serving on ${s.endpoint} (root ${s.driver.root}, node ${o.nodeId})`);
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          console.error(`${sig}: closing (volumes stay in ${s.driver.root})`);
          resolve();
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      await s.close();
    });
}
