// CSI Identity service: GetPluginInfo (name format, vendor version), GetPluginCapabilities,
// Probe, and that the services the plugin advertises answer.
import { PluginCapability_Service_Type as ServiceCap, PluginCapability_VolumeExpansion_Type as ExpansionCap } from '../../interfaces/gen/csi/csi.js';
import { CsiClient } from '../../interfaces/csi/client.js';
import { expectEqual, expectMatch, expectNonEmpty, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { CONTROLLER, CtrlCap, NodeCap, PUBLISH_UNPUBLISH, cap, CsiKit, type CsiEnv } from './kit.js';

const G = 'csi.Identity';
const c = defineCases(CsiKit, G);
const NAME_RULE = 'csi.get-plugin-info.name-format';

export const identityCases: CaseDef<CsiEnv>[] = [
  c({
    id: 'csi.identity.get-plugin-info.name',
    rpc: 'GetPluginInfo',
    rules: ['csi.get-plugin-info.ok', 'csi.get-plugin-info.name-required', NAME_RULE],
    name: 'GetPluginInfo returns a name of at most 63 characters in domain-name notation',
    async run(k) {
      const p = k.identity.getPluginInfo({});
      const info = await expectOk(p, { rule: 'csi.get-plugin-info.ok' });
      expectNonEmpty(info.name, { rule: 'csi.get-plugin-info.name-required', what: 'name', call: p });
      expectTrue(info.name.length <= 63, `name ${JSON.stringify(info.name)} is ${info.name.length} characters long`, {
        rule: NAME_RULE,
        call: p,
        actual: info.name,
      });
      expectMatch(info.name, /^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/, { rule: NAME_RULE, what: 'name', call: p });
    },
  }),
  c({
    id: 'csi.identity.get-plugin-info.vendor-version',
    rpc: 'GetPluginInfo',
    rules: ['csi.get-plugin-info.ok', 'csi.get-plugin-info.vendor-version-required'],
    name: 'GetPluginInfo returns a vendor_version',
    async run(k) {
      const p = k.identity.getPluginInfo({});
      const info = await expectOk(p, { rule: 'csi.get-plugin-info.ok' });
      expectNonEmpty(info.vendorVersion, { rule: 'csi.get-plugin-info.vendor-version-required', what: 'vendor_version', call: p });
    },
  }),
  c({
    id: 'csi.identity.get-plugin-capabilities',
    rpc: 'GetPluginCapabilities',
    rules: ['csi.get-plugin-capabilities.required-rpc', 'csi.get-plugin-capabilities.ok', 'csi.get-plugin-capabilities.known-types'],
    name: 'GetPluginCapabilities answers OK and every capability has a known type',
    async run(k) {
      const p = k.identity.getPluginCapabilities({});
      const res = await expectOk(p, { rule: 'csi.get-plugin-capabilities.required-rpc' });
      res.capabilities.forEach((c, i) => {
        const rule = 'csi.get-plugin-capabilities.known-types';
        if (c.service) expectTrue(c.service.type > 0, `capabilities[${i}].service.type is ${ServiceCap[c.service.type] ?? c.service.type}`, { rule, call: p });
        else if (c.volumeExpansion)
          expectTrue(
            c.volumeExpansion.type > 0,
            `capabilities[${i}].volume_expansion.type is ${ExpansionCap[c.volumeExpansion.type] ?? c.volumeExpansion.type}`,
            { rule, call: p },
          );
        else fail(`capabilities[${i}] sets neither service nor volume_expansion`, { rule, call: p });
      });
    },
  }),
  c({
    id: 'csi.identity.probe',
    rpc: 'Probe',
    rules: ['csi.probe.required', 'csi.probe.not-ready-error-or-false', 'csi.architecture.identity-on-both', 'csi.protocol.grpc-identity'],
    name: 'Probe answers OK',
    async run(k) {
      const res = await expectOk(k.identity.probe({}), { rule: 'csi.probe.required' });
      if (res.ready === false) k.ctx.log('Probe answered ready=false');
    },
  }),
  c({
    id: 'csi.identity.controller-service-answers',
    rpc: 'ControllerGetCapabilities',
    needs: [CONTROLLER],
    rules: ['csi.get-plugin-capabilities.controller-service-served', 'csi.architecture.controller-service', 'csi.protocol.all-services-at-endpoint'],
    name: 'A plugin advertising CONTROLLER_SERVICE answers ControllerGetCapabilities',
    async run(k) {
      await expectOk(k.controller.controllerGetCapabilities({}), { rule: 'csi.get-plugin-capabilities.controller-service-served' });
    },
  }),
  c({
    id: 'csi.identity.group-controller-service-answers',
    rpc: 'GroupControllerGetCapabilities',
    needs: [cap.plugin(ServiceCap.GROUP_CONTROLLER_SERVICE)],
    rules: ['csi.get-plugin-capabilities.group-controller-service-served'],
    name: 'A plugin advertising GROUP_CONTROLLER_SERVICE answers GroupControllerGetCapabilities',
    async run(k) {
      await expectOk(k.group.groupControllerGetCapabilities({}), { rule: 'csi.get-plugin-capabilities.group-controller-service-served' });
    },
  }),
  c({
    id: 'csi.identity.capabilities-consistent',
    rpc: 'GetPluginCapabilities',
    rules: [
      'csi.get-plugin-capabilities.same-across-instances',
      'csi.get-plugin-capabilities.expansion-needs-rpc',
      'csi.controller-get-capabilities.published-nodes-needs-publish',
    ],
    name: 'The capabilities agree: the same plugin capabilities on every call and endpoint; expansion and published-node listing come with the RPCs they need',
    async run(k) {
      const p = k.identity.getPluginCapabilities({});
      const first = await expectOk(p, { rule: 'csi.get-plugin-capabilities.same-across-instances' });
      const again = await expectOk(k.identity.getPluginCapabilities({}), { rule: 'csi.get-plugin-capabilities.same-across-instances' });
      const key = (r: typeof first) => r.capabilities.map((c) => JSON.stringify(c)).sort();
      expectEqual(key(again), key(first), {
        rule: 'csi.get-plugin-capabilities.same-across-instances',
        what: 'plugin capabilities of a second GetPluginCapabilities',
        call: p,
      });
      const ctrl = k.env.opts.controllerEndpoint;
      if (ctrl && ctrl !== k.env.opts.endpoint) {
        // The controller instance is another instance of the same plugin: same answer.
        const other = new CsiClient(ctrl, { timeoutMs: k.ctx.deadlineMs() });
        try {
          const theirs = await expectOk(k.ctx.track('Identity/GetPluginCapabilities', { endpoint: ctrl }, other.identity.getPluginCapabilities({})), {
            rule: 'csi.get-plugin-capabilities.same-across-instances',
          });
          expectEqual(key(theirs), key(first), {
            rule: 'csi.get-plugin-capabilities.same-across-instances',
            what: `plugin capabilities at the controller endpoint ${ctrl}`,
          });
        } finally {
          other.close();
        }
      }
      if (first.capabilities.some((c) => c.volumeExpansion)) {
        expectTrue(
          k.has(cap.controller(CtrlCap.EXPAND_VOLUME)) || k.has(cap.node(NodeCap.EXPAND_VOLUME)),
          'the plugin advertises volume expansion but neither the controller nor the node EXPAND_VOLUME capability',
          { rule: 'csi.get-plugin-capabilities.expansion-needs-rpc', call: p },
        );
      }
      if (k.has(cap.controller(CtrlCap.LIST_VOLUMES_PUBLISHED_NODES))) {
        expectTrue(k.has(PUBLISH_UNPUBLISH), 'the plugin advertises LIST_VOLUMES_PUBLISHED_NODES without PUBLISH_UNPUBLISH_VOLUME', {
          rule: 'csi.controller-get-capabilities.published-nodes-needs-publish',
        });
      }
    },
  }),
];
