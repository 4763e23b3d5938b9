// csiCase(): a case whose run() gets a CsiKit (recording clients + helpers) instead of ctx/env.
// missingField(): the shared shape of "leaving out a REQUIRED field answers INVALID_ARGUMENT".
import { expectCode, expectTrue } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { CREATE_DELETE, CsiKit, SNAPSHOTS, SNAPSHOT, VOLUME, type CsiEnv } from './kit.js';

export type CsiCaseDef = Omit<CaseDef<CsiEnv>, 'run'> & { run(k: CsiKit): Promise<void> };

export function csiCase(c: CsiCaseDef): CaseDef<CsiEnv> {
  const { run, ...rest } = c;
  return { ...rest, run: (ctx, env) => run(new CsiKit(ctx, env)) };
}

/** The general rules every missing-field case checks besides the field's own REQUIRED rule. */
export const MISSING_FIELD_RULES = [
  'csi.error-scheme.missing-field-invalid-argument', 'csi.field-requirements.required-set', 'csi.error-scheme.grpc-status',
  'csi.error-scheme.failure-is-non-ok', 'csi.error-scheme.message-human-readable',
];

/**
 * A case checking that a request without `field` (REQUIRED by `rule`) fails with INVALID_ARGUMENT
 * and a message. `call` may create what the request needs first (a volume, a snapshot).
 */
export function missingField(group: string, id: string, rpc: string, field: string, rule: string, needs: string[], call: (k: CsiKit) => Promise<{ p: Promise<unknown> }>, also: string[] = []): CaseDef<CsiEnv> {
  const helpers = needs.includes(SNAPSHOTS) && needs.includes(CREATE_DELETE) ? SNAPSHOT : needs.includes(CREATE_DELETE) ? VOLUME : [];
  return csiCase({
    id, group, needs, name: `${rpc} without ${field} fails with INVALID_ARGUMENT`,
    rules: [rule, ...MISSING_FIELD_RULES, ...helpers, ...also],
    async run(k) {
      const { p } = await call(k);
      // Should the plugin wrongly create something, it is still cleaned up.
      p.then((r) => {
        const x = r as { volume?: { volumeId?: string }; snapshot?: { snapshotId?: string } };
        if (x?.volume?.volumeId) k.track(x.volume.volumeId);
        if (x?.snapshot?.snapshotId) k.trackSnapshot(x.snapshot.snapshotId);
      }, () => undefined);
      const err = await expectCode(p, 'INVALID_ARGUMENT', rule);
      const message = (err as { details?: string }).details ?? '';
      expectTrue(message.trim() !== '', `${rpc} answered INVALID_ARGUMENT with an empty status message`, 'csi.error-scheme.message-human-readable', { call: p });
    },
  });
}
