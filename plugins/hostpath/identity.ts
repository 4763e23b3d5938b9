// Identity service: who the plugin is, what it offers, whether it is ready.
import type { IdentityDefinition } from '../../interfaces/gen/csi/csi.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import { PLUGIN_CAPABILITIES } from './capabilities.js';
import type { HostpathDriver } from './driver.js';

export function identityService(d: HostpathDriver): ServiceImpl<typeof IdentityDefinition> {
  return {
    getPluginInfo: () => ({ name: d.name, vendorVersion: d.vendorVersion, manifest: { root: d.root } }),
    getPluginCapabilities: () => ({ capabilities: PLUGIN_CAPABILITIES }),
    probe: () => ({ ready: d.ready }),
  };
}
