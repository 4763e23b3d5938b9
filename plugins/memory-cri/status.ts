// Version, Status, RuntimeConfig and UpdateRuntimeConfig. NetworkReady follows the network's
// status(): false with NetworkPluginNotReady when it throws (as containerd with a broken CNI
// config). Without any network the runtime still reports NetworkReady — pods simply get no IP —
// unless told to report it as containerd does without a CNI config (`{ type: 'none', ready: false }`).
import { CgroupDriver, RuntimeServiceDefinition, type RuntimeCondition } from '../../interfaces/gen/cri/api.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import type { MemoryRuntime } from './runtime.js';
import { jsonInfo } from './store.js';

export const RUNTIME_NAME = 'triad-memory';
export const RUNTIME_API_VERSION = 'v1';
/** What kubelet's CRI client expects in VersionResponse.version. */
export const KUBE_API_VERSION = '0.1.0';

export async function conditions(rt: MemoryRuntime): Promise<Array<DeepPartial<RuntimeCondition>>> {
  const runtime: DeepPartial<RuntimeCondition> = { type: 'RuntimeReady', status: true, reason: '', message: '' };
  let network: DeepPartial<RuntimeCondition> = { type: 'NetworkReady', status: true, reason: '', message: '' };
  if (rt.networkNotReady) {
    network = { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: rt.networkNotReady };
  } else if (rt.network?.status) {
    try {
      await rt.network.status();
    } catch (e) {
      network = { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: `Network plugin returns error: ${(e as Error).message}` };
    }
  }
  return [runtime, network];
}

export function statusService(rt: MemoryRuntime): ServiceImpl<typeof RuntimeServiceDefinition> {
  return {
    async version(_req, ctx) {
      await rt.fault('Version', ctx);
      return { version: KUBE_API_VERSION, runtimeName: RUNTIME_NAME, runtimeVersion: rt.runtimeVersion, runtimeApiVersion: RUNTIME_API_VERSION };
    },

    async status(req, ctx) {
      await rt.fault('Status', ctx);
      const conds = await conditions(rt);
      const net = conds[1];
      const info: Record<string, string> = req.verbose
        ? {
            config: jsonInfo({
              runtime: RUNTIME_NAME,
              simulated: true,
              cgroupDriver: rt.cgroupDriver,
              sandboxImage: rt.sandboxImage,
              runtimeHandlers: rt.runtimeHandlers,
              network: rt.network ? 'configured' : 'none',
              netns: rt.netns,
              podCidr: rt.podCidr,
              catalogue: rt.catalogue.entries.flatMap((e) => e.tags.map((t) => `${e.repository}:${t}`)),
            }),
            lastCNILoadStatus: net.status ? 'OK' : String(net.message),
          }
        : {};
      return {
        status: { conditions: conds },
        info,
        runtimeHandlers: ['', ...rt.runtimeHandlers].map((name) => ({ name, features: { recursiveReadOnlyMounts: true, userNamespaces: false } })),
        features: { supplementalGroupsPolicy: true, userNamespacesHostNetwork: false, mountOptions: true },
      };
    },

    async runtimeConfig(_req, ctx) {
      await rt.fault('RuntimeConfig', ctx);
      return { linux: { cgroupDriver: rt.cgroupDriver === 'cgroupfs' ? CgroupDriver.CGROUPFS : CgroupDriver.SYSTEMD } };
    },

    async updateRuntimeConfig(req, ctx) {
      await rt.fault('UpdateRuntimeConfig', ctx);
      const cidr = req.runtimeConfig?.networkConfig?.podCidr ?? '';
      if (cidr) rt.podCidr = cidr;
      return {};
    },
  };
}
