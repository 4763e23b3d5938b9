// The CSI conformance suite: connects to a driver's endpoint(s), discovers what it advertises
// (GetPluginCapabilities, ControllerGetCapabilities, NodeGetCapabilities,
// GroupControllerGetCapabilities) and runs every applicable case; afterwards it looks for
// volumes, snapshots and staging/target directories of this run that are still there.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsiClient } from '../../interfaces/csi/client.js';
import { RpcError } from '../../interfaces/grpc/errors.js';
import type { Suite, SuiteSession } from '../runner/types.js';
import { controllerCases } from './controller.js';
import { groupControllerCases } from './group-controller.js';
import { identityCases } from './identity.js';
import {
  CONTROLLER,
  CSI_RPCS,
  CtrlCap,
  ExpansionCap,
  GiB,
  GroupCap,
  LIST_SNAPSHOTS,
  LIST_VOLUMES,
  NodeCap,
  ServiceCap,
  cap,
  explainCapability,
  type CsiEnv,
  type CsiSuiteOptions,
} from './kit.js';
import { nodeCases } from './node.js';
import { snapshotCases } from './snapshots.js';

export { type CsiEnv, type CsiSuiteOptions } from './kit.js';

export const csiCases = [...identityCases, ...controllerCases, ...snapshotCases, ...nodeCases, ...groupControllerCases];

export type CsiSuiteConfig = Omit<CsiSuiteOptions, 'stagingDir' | 'targetDir'> & { stagingDir?: string; targetDir?: string };

export function csiSuite(config: CsiSuiteConfig): Suite<CsiEnv> {
  return {
    name: 'csi',
    title: 'CSI conformance',
    cases: csiCases,
    rpcs: CSI_RPCS,
    async setup(run): Promise<SuiteSession<CsiEnv>> {
      const made: string[] = [];
      const dir = (given: string | undefined, what: string) => {
        if (given) return given;
        const d = mkdtempSync(join(tmpdir(), `triad-csi-${what}-`));
        made.push(d);
        return d;
      };
      const opts: CsiSuiteOptions = { ...config, stagingDir: dir(config.stagingDir, 'staging'), targetDir: dir(config.targetDir, 'target') };
      const client = new CsiClient(opts.endpoint, { controllerEndpoint: opts.controllerEndpoint, timeoutMs: opts.timeoutMs ?? run.timeoutMs });
      const teardown = async () => {
        client.close();
        for (const d of made) rmSync(d, { recursive: true, force: true });
      };
      try {
        await client.waitForReady(Math.min(run.timeoutMs, 10_000));
        const caps = new Set<string>();
        const facts: Record<string, string> = { endpoint: client.endpoint };
        if (opts.controllerEndpoint) facts.controllerEndpoint = opts.controllerEndpoint;
        const note = (what: string, e: unknown) => {
          facts[what] = `failed: ${e instanceof RpcError ? `${e.codeName}: ${e.details}` : (e as Error).message}`;
        };

        let pluginName = '';
        try {
          const info = await client.identity.getPluginInfo({});
          pluginName = info.name;
          facts.plugin = info.name;
          facts.version = info.vendorVersion;
        } catch (e) {
          note('GetPluginInfo', e);
        }
        try {
          for (const c of (await client.identity.getPluginCapabilities({})).capabilities) {
            if (c.service) caps.add(cap.plugin(c.service.type));
            if (c.volumeExpansion) caps.add(cap.expansion(c.volumeExpansion.type));
          }
        } catch (e) {
          note('GetPluginCapabilities', e);
        }
        if (caps.has(CONTROLLER)) {
          try {
            for (const c of (await client.controller.controllerGetCapabilities({})).capabilities) if (c.rpc) caps.add(cap.controller(c.rpc.type));
          } catch (e) {
            note('ControllerGetCapabilities', e);
          }
        }
        try {
          for (const c of (await client.node.nodeGetCapabilities({})).capabilities) if (c.rpc) caps.add(cap.node(c.rpc.type));
        } catch (e) {
          note('NodeGetCapabilities', e);
        }
        if (caps.has(cap.plugin(ServiceCap.GROUP_CONTROLLER_SERVICE))) {
          try {
            for (const c of (await client.groupController.groupControllerGetCapabilities({})).capabilities) if (c.rpc) caps.add(cap.group(c.rpc.type));
          } catch (e) {
            note('GroupControllerGetCapabilities', e);
          }
        }
        let nodeId = '';
        try {
          nodeId = (await client.node.nodeGetInfo({})).nodeId;
          facts.nodeId = nodeId;
        } catch (e) {
          note('NodeGetInfo', e);
        }

        const created = { volumes: new Set<string>(), snapshots: new Set<string>(), groups: new Set<string>() };
        const env: CsiEnv = {
          opts,
          client,
          pluginName,
          nodeId,
          size: opts.volumeSize ?? GiB,
          created,
          capabilities: caps,
          has: (c) => caps.has(c),
        };
        return {
          env,
          capabilities: caps,
          facts,
          teardown,
          explain: explainCapability,
          environment: (c) =>
            !nodeId && c.group === 'csi.Node' && c.id !== 'csi.node.get-info' ? 'NodeGetInfo failed during setup: no node id to work with' : undefined,
          async leakCheck() {
            const leaks: string[] = [];
            const ours = (id: string, set: Set<string>) => set.has(id) || id.includes(run.prefix);
            if (caps.has(LIST_VOLUMES)) {
              let token = '';
              for (let i = 0; i < 10_000; i++) {
                const res = await client.controller.listVolumes({ startingToken: token });
                for (const e of res.entries) if (e.volume && ours(e.volume.volumeId, created.volumes)) leaks.push(`volume ${e.volume.volumeId}`);
                if (!res.nextToken || res.nextToken === token) break;
                token = res.nextToken;
              }
            } else if (caps.has(cap.controller(CtrlCap.GET_VOLUME))) {
              for (const id of created.volumes) {
                try {
                  await client.controller.controllerGetVolume({ volumeId: id });
                  leaks.push(`volume ${id}`);
                } catch {
                  /* gone */
                }
              }
            }
            if (caps.has(LIST_SNAPSHOTS)) {
              let token = '';
              for (let i = 0; i < 10_000; i++) {
                const res = await client.controller.listSnapshots({ startingToken: token });
                for (const e of res.entries) if (e.snapshot && ours(e.snapshot.snapshotId, created.snapshots)) leaks.push(`snapshot ${e.snapshot.snapshotId}`);
                if (!res.nextToken || res.nextToken === token) break;
                token = res.nextToken;
              }
            }
            for (const d of [opts.stagingDir, opts.targetDir]) {
              let names: string[] = [];
              try {
                names = readdirSync(d);
              } catch {
                /* gone */
              }
              for (const n of names) if (n.startsWith(`${run.prefix}-`)) leaks.push(`directory ${join(d, n)}`);
            }
            return leaks;
          },
        };
      } catch (e) {
        await teardown();
        throw e;
      }
    },
  };
}

export { ExpansionCap, GroupCap, NodeCap };
