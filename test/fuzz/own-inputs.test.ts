// triad's own inputs fuzzed the same way as the plugins' requests: Pod manifests (every example
// pod) and triad.yaml files (every example plugin's), each bent hundreds of times with the
// fuzzer's mutators. Every input must either be accepted or refused with triad's own error
// (ManifestError / ConfigError, naming the file and field), never a TypeError or a hang.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { mutate } from '../../fuzz/mutators.js';
import { Rng } from '../../fuzz/rng.js';
import type { Json } from '../../fuzz/types.js';
import { ConfigError, parseConfig } from '../../harness/config/config.js';
import { ManifestError, parseManifests, validateManifest } from '../../harness/manifest/index.js';
import { triadRoot } from '../../interfaces/util/root.js';

const t = suite('fuzz-own-inputs');
const root = triadRoot();
const RUNS = 300;

/** Bend `base` RUNS times; `check` must accept or throw one of `allowed`; returns the crashes. */
function crashes(base: Json, seed: number, check: (v: Json) => void, allowed: (e: unknown) => boolean): string[] {
  const out: string[] = [];
  for (let run = 0; run < RUNS; run++) {
    const m = mutate(base, Rng.derive(seed, run), 3);
    try {
      check(m.req);
    } catch (e) {
      if (!allowed(e)) out.push(`${m.mutations.join('; ')} → ${(e as Error).stack?.split('\n').slice(0, 3).join(' ')}`);
      else if (!(e as Error).message) out.push(`${m.mutations.join('; ')} → an error without a message`);
    }
  }
  return out;
}

t('Pod manifests: every bent example pod is accepted or refused with a ManifestError', () => {
  const dir = join(root, 'examples/pods');
  const files = readdirSync(dir).filter((n) => n.endsWith('.yaml'));
  assert.ok(files.length >= 3);
  for (const [i, f] of files.entries()) {
    const docs = readFileSync(join(dir, f), 'utf8')
      .split(/^---$/m)
      .map((d) => parseYaml(d) as Json)
      .filter(Boolean);
    for (const doc of docs) {
      const bad = crashes(
        doc,
        i + 1,
        (v) => {
          validateManifest(v, f);
          parseManifests(JSON.stringify(v), f); // the same object as a file's text
        },
        (e) => e instanceof ManifestError,
      );
      assert.equal(bad.slice(0, 3), [], `${f}: ${bad.length} crash(es)`);
    }
  }
});

t('triad.yaml: every bent example config is accepted or refused with a ConfigError', () => {
  const dir = join(root, 'examples/plugins');
  const files = readdirSync(dir)
    .map((d) => join(dir, d, 'triad.yaml'))
    .filter((p) => {
      try {
        readFileSync(p);
        return true;
      } catch {
        return false;
      }
    });
  assert.ok(files.length >= 2);
  for (const [i, f] of files.entries()) {
    const bad = crashes(
      parseYaml(readFileSync(f, 'utf8')) as Json,
      100 + i,
      (v) => {
        parseConfig(v, f);
      },
      (e) => e instanceof ConfigError,
    );
    assert.equal(bad.slice(0, 3), [], `${f}: ${bad.length} crash(es)`);
  }
});

t.run();
