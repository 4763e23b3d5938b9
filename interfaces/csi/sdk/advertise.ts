// Builders for the capability lists the Get*Capabilities RPCs answer with: a driver lists enum
// values, the wire wants nested messages.
import type {
  ControllerServiceCapability_RPC_Type,
  GroupControllerServiceCapability_RPC_Type,
  NodeServiceCapability_RPC_Type,
  PluginCapability,
  PluginCapability_Service_Type,
  PluginCapability_VolumeExpansion_Type,
} from '../../gen/csi/csi.js';
import type { DeepPartial } from '../../grpc/types.js';

export function pluginCapabilities(
  services: PluginCapability_Service_Type[],
  expansion: PluginCapability_VolumeExpansion_Type[] = [],
): DeepPartial<PluginCapability>[] {
  return [...services.map((type) => ({ service: { type } })), ...expansion.map((type) => ({ volumeExpansion: { type } }))];
}

export const controllerCapabilities = (types: ControllerServiceCapability_RPC_Type[]) => types.map((type) => ({ rpc: { type } }));
export const nodeCapabilities = (types: NodeServiceCapability_RPC_Type[]) => types.map((type) => ({ rpc: { type } }));
export const groupControllerCapabilities = (types: GroupControllerServiceCapability_RPC_Type[]) => types.map((type) => ({ rpc: { type } }));
