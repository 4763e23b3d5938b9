// How many broken CNI variants the fuzzer catches on a small budget each (the full measurement,
// 60 s per variant over CSI, CRI and CNI, is `node --import tsx fuzz/catch-rate.ts csi|cri|cni`);
// the healthy plugins give no finding on the same budget.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { measure, variants } from '../../fuzz/catch-rate.js';

const t = suite('fuzz-catch-rate');

t('CNI: at least 80% of the broken variants caught within 3 s each; memory-cni clean', async () => {
  const healthy = await measure('cni', undefined, 3000);
  assert.not.ok(healthy.caught, healthy.finding);
  const names = await variants('cni');
  assert.ok(names.length >= 10, `variants to measure (${names.length})`);
  const results = [];
  for (const v of names) results.push(await measure('cni', v, 3000));
  const caught = results.filter((r) => r.caught).length;
  assert.ok(
    caught / names.length >= 0.8,
    `caught ${caught} of ${names.length}; missed: ${results
      .filter((r) => !r.caught)
      .map((r) => r.variant)
      .join(', ')}`,
  );
});

t('CSI: memory-csi gives no finding within 5 s', async () => {
  const r = await measure('csi', undefined, 5000);
  assert.not.ok(r.caught, r.finding);
  assert.ok(r.runs > 5, `runs made (${r.runs})`);
});

t.run();
