// What the driver advertises. Each capability here is backed by a real implementation; the RPCs
// no capability points at are left out of the services and answer UNIMPLEMENTED.
import {
  ControllerServiceCapability_RPC_Type as Ctrl,
  GroupControllerServiceCapability_RPC_Type as Group,
  NodeServiceCapability_RPC_Type as Node,
  PluginCapability_Service_Type as Service,
  PluginCapability_VolumeExpansion_Type as Expansion,
} from '../../interfaces/gen/csi/csi.js';
import {
  controllerCapabilities as rpcs,
  groupControllerCapabilities,
  nodeCapabilities as nodeRpcs,
  pluginCapabilities,
} from '../../interfaces/csi/sdk/index.js';

export const PLUGIN_CAPABILITIES = pluginCapabilities(
  [Service.CONTROLLER_SERVICE, Service.VOLUME_ACCESSIBILITY_CONSTRAINTS, Service.GROUP_CONTROLLER_SERVICE],
  [Expansion.ONLINE],
);

export const CONTROLLER_CAPABILITIES: Ctrl[] = [
  Ctrl.CREATE_DELETE_VOLUME,
  Ctrl.PUBLISH_UNPUBLISH_VOLUME,
  Ctrl.LIST_VOLUMES,
  Ctrl.LIST_VOLUMES_PUBLISHED_NODES,
  Ctrl.GET_CAPACITY,
  Ctrl.CREATE_DELETE_SNAPSHOT,
  Ctrl.LIST_SNAPSHOTS,
  Ctrl.CLONE_VOLUME,
  Ctrl.PUBLISH_READONLY,
  Ctrl.EXPAND_VOLUME,
  Ctrl.GET_VOLUME,
  Ctrl.VOLUME_CONDITION,
  Ctrl.SINGLE_NODE_MULTI_WRITER,
  Ctrl.MODIFY_VOLUME,
];

/**
 * GetSnapshot is implemented either way; GET_SNAPSHOT (spec 1.11+) is only advertised on request
 * because csi-sanity fails on controller capabilities it does not know yet.
 */
export const controllerCapabilities = (getSnapshot: boolean) => rpcs(getSnapshot ? [...CONTROLLER_CAPABILITIES, Ctrl.GET_SNAPSHOT] : CONTROLLER_CAPABILITIES);

export const nodeCapabilities = (stageUnstage: boolean) =>
  nodeRpcs([
    ...(stageUnstage ? [Node.STAGE_UNSTAGE_VOLUME] : []),
    Node.GET_VOLUME_STATS,
    Node.EXPAND_VOLUME,
    Node.VOLUME_CONDITION,
    Node.SINGLE_NODE_MULTI_WRITER,
  ]);

export const GROUP_CONTROLLER_CAPABILITIES = groupControllerCapabilities([Group.CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT]);
