// missing(): the one shape of "leaving out a REQUIRED field answers INVALID_ARGUMENT", for every
// CSI service. The case is declared like any other (defineCases), with the RPC it calls.
import { defineCases } from '../define.js';
import { expectCode, expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { CREATE_DELETE, CsiKit, LIFECYCLE, SNAPSHOTS, SNAPSHOT, VOLUME, type CsiEnv, type CsiRpc } from './kit.js';

/** The general rules every missing-field case checks besides the field's own REQUIRED rule. */
export const MISSING_FIELD_RULES = [
  'csi.error-scheme.missing-field-invalid-argument',
  'csi.field-requirements.required-set',
  'csi.error-scheme.grpc-status',
  'csi.error-scheme.failure-is-non-ok',
  'csi.error-scheme.message-human-readable',
];

/** The rules of the kit helpers a missing-field case uses to make what its request needs. */
function helperRules(group: string, needs: string[]): string[] {
  if (!needs.includes(CREATE_DELETE)) return [];
  if (needs.includes(SNAPSHOTS)) return SNAPSHOT;
  // A Node case readies its volume through the lifecycle helpers (controller publish, stage, publish).
  return group === 'csi.Node' ? LIFECYCLE : VOLUME;
}

/**
 * A case in `group` checking that a `rpc` request without `field` (REQUIRED by `rule`) fails with
 * INVALID_ARGUMENT and a message. `call` may create what the request needs first (a volume, a snapshot).
 */
export function missing(
  group: string,
  id: string,
  rpc: CsiRpc,
  field: string,
  rule: string,
  needs: string[],
  call: (k: CsiKit) => Promise<{ p: Promise<unknown> }>,
  also: string[] = [],
): CaseDef<CsiEnv> {
  return defineCases(
    CsiKit,
    group,
  )({
    id,
    rpc,
    needs,
    name: `${rpc} without ${field} fails with INVALID_ARGUMENT`,
    rules: [...new Set([rule, ...MISSING_FIELD_RULES, ...helperRules(group, needs), ...also])],
    async run(k) {
      const { p } = await call(k);
      // Should the plugin wrongly create something, it is still cleaned up.
      p.then(
        (r) => {
          const x = r as { volume?: { volumeId?: string }; snapshot?: { snapshotId?: string } };
          if (x?.volume?.volumeId) k.track(x.volume.volumeId);
          if (x?.snapshot?.snapshotId) k.trackSnapshot(x.snapshot.snapshotId);
        },
        () => undefined,
      );
      const err = await expectCode(p, 'INVALID_ARGUMENT', { rule });
      const message = (err as { details?: string }).details ?? '';
      expectTrue(message.trim() !== '', `${rpc} answered INVALID_ARGUMENT with an empty status message`, {
        rule: 'csi.error-scheme.message-human-readable',
        call: p,
      });
    },
  });
}
