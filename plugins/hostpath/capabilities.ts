// What the hostpath driver advertises and accepts. Volumes are directories on one node: mount
// access only, single-node access modes only.
import {
  ControllerServiceCapability_RPC_Type as Ctrl,
  NodeServiceCapability_RPC_Type as Node,
  PluginCapability_Service_Type as Service,
  PluginCapability_VolumeExpansion_Type as Expansion,
} from '../../interfaces/gen/csi/csi.js';
import { SINGLE_NODE_MODES, controllerCapabilities, nodeCapabilities, pluginCapabilities, type CapabilitySupport } from '../../interfaces/csi/sdk/index.js';

export const SUPPORT: CapabilitySupport = { accessTypes: ['mount'], modes: SINGLE_NODE_MODES };

export const PLUGIN_CAPABILITIES = pluginCapabilities([Service.CONTROLLER_SERVICE, Service.VOLUME_ACCESSIBILITY_CONSTRAINTS], [Expansion.ONLINE]);

export const CONTROLLER_CAPABILITIES = controllerCapabilities([
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
]);

export const NODE_CAPABILITIES = nodeCapabilities([
  Node.STAGE_UNSTAGE_VOLUME,
  Node.GET_VOLUME_STATS,
  Node.EXPAND_VOLUME,
  Node.VOLUME_CONDITION,
  Node.SINGLE_NODE_MULTI_WRITER,
]);
