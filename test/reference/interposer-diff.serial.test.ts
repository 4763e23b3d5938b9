// `triad diff` on the README's first example: examples/pods/init-containers.yaml (its image
// renamed to the reference registry's busybox) on the memory stack (A) and on the reference stack's
// own triad.yaml (B). Every divergence the diff reports must be one docs/interposer.md explains,
// the pod ends the same on both sides, and the ones that follow from the two stacks' make-up
// (containerd 1.6 lacks RuntimeConfig; B has a second CSI driver) are there.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../harness/config/config.js';
import { diffRuns, diffText, recordRun } from '../../harness/diff.js';
import { loadManifests } from '../../harness/manifest/index.js';
import { settled } from '../../harness/kubelet/status.js';
import { testOrSkip, useStack } from './stack.js';

const t = suite('reference stack: triad diff memory-cri vs containerd on init-containers.yaml');
const h = await useStack();
const it = testOrSkip(t, h);
t.after(() => h.release());
const root = new URL('../..', import.meta.url).pathname;

/** `kind where` of each divergence docs/interposer.md explains → must it show on every run. */
const EXPLAINED: Array<{ re: RegExp; why: string; always: boolean }> = [
  {
    re: /^calls (Identity\/GetPluginInfo|Node\/NodeGetInfo|Node\/NodeGetCapabilities|Controller\/ControllerGetCapabilities)$/,
    why: 'B names two CSI drivers, each probed at start-up',
    always: true,
  },
  { re: /^order call \d+$/, why: "the extra driver's start-up calls on B", always: true },
  { re: /^calls ImageService\/PullImage$/, why: 'the image is already on containerd when an earlier run pulled it (IfNotPresent)', always: false },
  { re: /^code RuntimeService\/RuntimeConfig#1$/, why: 'containerd 1.6 predates RuntimeConfig', always: true },
  { re: /^field RuntimeService\/PodSandboxStatus#1$/, why: 'timestamp (evented PLEG) is newer than containerd 1.6', always: true },
  { re: /^field RuntimeService\/ContainerStatus#1$/, why: 'imageId, image.userSpecifiedImage, user, stopSignal are newer than containerd 1.6', always: true },
];

it('every divergence is an explained one; the final pod status is the same', async () => {
  const s = h.stack!;
  const dir = mkdtempSync(join(tmpdir(), 'triad-ref-diff-'));
  try {
    writeFileSync(
      join(dir, 'images.yaml'),
      `- { repository: ${s.images!.busybox.replace(/:[^:/]+$/, '')}, tags: ['${s.images!.busybox.replace(/^.*:/, '')}'], busybox: true, cmd: [sh] }\n`,
    );
    writeFileSync(join(dir, 'memory.yaml'), 'runtime: { type: memory, images: images.yaml }\n');
    const pod = readFileSync(join(root, 'examples/pods/init-containers.yaml'), 'utf8').replace(/image: busybox$/gm, `image: ${s.images!.busybox}`);
    writeFileSync(join(dir, 'init-containers-ref.yaml'), pod);
    const manifests = loadManifests([join(dir, 'init-containers-ref.yaml')]);
    const a = await recordRun(loadConfig(join(dir, 'memory.yaml')), manifests, { timeoutMs: 60_000, settled });
    const b = await recordRun(loadConfig(s.triadYaml), manifests, { timeoutMs: 60_000, settled });
    assert.equal([...a.errors, ...b.errors], [], 'both sides ran the pod and tore it down');
    const r = diffRuns(a, b);
    const text = diffText(r);
    console.log(text.replace(/^/gm, '    '));
    const keys = r.divergences.map((d) => `${d.kind} ${d.where}`);
    assert.equal(
      keys.filter((k) => !EXPLAINED.some((e) => e.re.test(k))),
      [],
      `divergences docs/interposer.md does not explain:\n${text}`,
    );
    for (const e of EXPLAINED.filter((x) => x.always))
      assert.ok(
        keys.some((k) => e.re.test(k)),
        `expected ${e.re} (${e.why}):\n${text}`,
      );
    assert.match(text, /RuntimeConfig#1: A answered OK, B UNIMPLEMENTED/);
    const order = r.divergences.find((d) => d.kind === 'order')!;
    assert.match(String((order.b as string[])[1]), /^(Identity|Node|Controller)\//, "B's order differs where its second driver is probed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
