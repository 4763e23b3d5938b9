// Identity service: who the plugin is, what it offers, whether it is ready.
import type { IdentityDefinition } from '../../interfaces/gen/csi/csi.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import { PLUGIN_CAPABILITIES } from './capabilities.js';
import type { MemoryCsiDriver } from './driver.js';

export function identityService(d: MemoryCsiDriver): ServiceImpl<typeof IdentityDefinition> {
  return {
    async getPluginInfo(_req, ctx) {
      await d.fault('GetPluginInfo', ctx);
      return { name: d.name, vendorVersion: d.vendorVersion, manifest: { 'publish-mechanism': await d.mechanism() } };
    },
    async getPluginCapabilities(_req, ctx) {
      await d.fault('GetPluginCapabilities', ctx);
      return { capabilities: PLUGIN_CAPABILITIES };
    },
    async probe(_req, ctx) {
      await d.fault('Probe', ctx);
      return { ready: d.ready };
    },
  };
}
