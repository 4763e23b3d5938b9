// Static pods, as kubelet's --pod-manifest-path: every manifest file in a directory is a set of
// desired pods. New files start their pods, removed files delete them, changed files replace them.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../api/types.js';
import { parseManifests, validateManifest } from '../manifest/index.js';
import type { Kubelet } from './kubelet.js';

export class StaticPods {
  private readonly files = new Map<string, { hash: string; pods: { ns: string; name: string }[] }>();
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly kubelet: Kubelet,
    private readonly dir: string,
    private readonly log: (m: string) => void,
  ) {}

  /** Reconcile the directory with what runs; concurrent calls coalesce. */
  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.once();
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async once(): Promise<void> {
    const present = new Map<string, string>();
    for (const f of readdirSync(this.dir)
      .filter((x) => /\.(ya?ml|json)$/.test(x) && !x.startsWith('.'))
      .sort()) {
      const path = join(this.dir, f);
      try {
        present.set(path, readFileSync(path, 'utf8'));
      } catch {
        /* removed meanwhile */
      }
    }
    for (const [path, old] of [...this.files]) {
      const text = present.get(path);
      if (text !== undefined && hash(text) === old.hash) continue;
      for (const p of old.pods) {
        await this.kubelet.delete(p.ns, p.name).catch((e: Error) => this.log(`static pod ${p.ns}/${p.name}: ${e.message}`));
      }
      this.files.delete(path);
    }
    for (const [path, text] of present) {
      if (this.files.has(path)) continue;
      let manifests: Manifest[];
      try {
        manifests = parseManifests(text, path);
        for (const m of manifests) for (const w of validateManifest(m).warnings) this.log(`${path}: warning: ${w}`);
      } catch (err) {
        this.log(`${path}: ${(err as Error).message}`);
        this.files.set(path, { hash: hash(text), pods: [] });
        continue;
      }
      const pods = await this.kubelet.apply(manifests).catch((e: Error) => {
        this.log(`${path}: ${e.message}`);
        return [];
      });
      this.files.set(path, { hash: hash(text), pods: pods.map((p) => ({ ns: p.metadata.namespace!, name: p.metadata.name })) });
      for (const p of pods) this.log(`static pod ${p.metadata.namespace}/${p.metadata.name} started from ${path}`);
    }
  }
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex');
