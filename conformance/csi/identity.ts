// CSI Identity service: GetPluginInfo (name format, vendor version), GetPluginCapabilities,
// Probe, and that the services the plugin advertises answer.
import { PluginCapability_Service_Type as ServiceCap, PluginCapability_VolumeExpansion_Type as ExpansionCap } from '../../interfaces/gen/csi/csi.js';
import { expectMatch, expectNonEmpty, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { csiCase } from './case.js';
import { CONTROLLER, cap, type CsiEnv } from './kit.js';

const G = 'csi.Identity';
const NAME_RULE = 'CSI GetPluginInfo: name MUST follow domain name notation (RFC 1035 §2.3.1), be 63 characters or less, begin and end with an alphanumeric character, with dashes, dots and alphanumerics between';

export const identityCases: CaseDef<CsiEnv>[] = [
  csiCase({
    id: 'csi.identity.get-plugin-info.name', group: G,
    name: 'GetPluginInfo returns a name of at most 63 characters in domain-name notation',
    async run(k) {
      const p = k.identity.getPluginInfo({});
      const info = await expectOk(p, 'CSI GetPluginInfo MUST answer OK');
      expectNonEmpty(info.name, 'CSI GetPluginInfo: name is REQUIRED', 'name', p);
      expectTrue(info.name.length <= 63, `name ${JSON.stringify(info.name)} is ${info.name.length} characters long`, NAME_RULE, { call: p, actual: info.name });
      expectMatch(info.name, /^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/, NAME_RULE, 'name', p);
    },
  }),
  csiCase({
    id: 'csi.identity.get-plugin-info.vendor-version', group: G,
    name: 'GetPluginInfo returns a vendor_version',
    async run(k) {
      const p = k.identity.getPluginInfo({});
      const info = await expectOk(p, 'CSI GetPluginInfo MUST answer OK');
      expectNonEmpty(info.vendorVersion, 'CSI GetPluginInfo: vendor_version is REQUIRED (its value is opaque to the CO)', 'vendor_version', p);
    },
  }),
  csiCase({
    id: 'csi.identity.get-plugin-capabilities', group: G,
    name: 'GetPluginCapabilities answers OK and every capability has a known type',
    async run(k) {
      const p = k.identity.getPluginCapabilities({});
      const res = await expectOk(p, 'CSI GetPluginCapabilities MUST answer OK');
      res.capabilities.forEach((c, i) => {
        const rule = 'CSI PluginCapability: exactly one of service or volume_expansion is set, with a type other than UNKNOWN';
        if (c.service) expectTrue(c.service.type > 0, `capabilities[${i}].service.type is ${ServiceCap[c.service.type] ?? c.service.type}`, rule, { call: p });
        else if (c.volumeExpansion) expectTrue(c.volumeExpansion.type > 0, `capabilities[${i}].volume_expansion.type is ${ExpansionCap[c.volumeExpansion.type] ?? c.volumeExpansion.type}`, rule, { call: p });
        else fail(`capabilities[${i}] sets neither service nor volume_expansion`, rule, { call: p });
      });
    },
  }),
  csiCase({
    id: 'csi.identity.probe', group: G,
    name: 'Probe answers OK',
    async run(k) {
      const res = await expectOk(k.identity.probe({}), 'CSI Probe MUST answer OK when the plugin is healthy (ready may be unset, which means ready)');
      if (res.ready === false) k.ctx.log('Probe answered ready=false');
    },
  }),
  csiCase({
    id: 'csi.identity.controller-service-answers', group: G, needs: [CONTROLLER],
    name: 'A plugin advertising CONTROLLER_SERVICE answers ControllerGetCapabilities',
    async run(k) {
      await expectOk(k.controller.controllerGetCapabilities({}), 'CSI GetPluginCapabilities: CONTROLLER_SERVICE means the plugin provides the Controller service RPCs');
    },
  }),
  csiCase({
    id: 'csi.identity.group-controller-service-answers', group: G, needs: [cap.plugin(ServiceCap.GROUP_CONTROLLER_SERVICE)],
    name: 'A plugin advertising GROUP_CONTROLLER_SERVICE answers GroupControllerGetCapabilities',
    async run(k) {
      await expectOk(k.group.groupControllerGetCapabilities({}), 'CSI GetPluginCapabilities: GROUP_CONTROLLER_SERVICE means the plugin provides the GroupController service RPCs');
    },
  }),
];
