// The local proof of the fleet path (root, reference stack): the triad image builds twice to the
// same digest and is pushed to the stack's registry; the pod spec of the generated CRI Sonobuoy
// plugin runs as a pod under triad's own harness kubelet on the stack's containerd, the hostPath
// mount making the stack's socket the one the suite tests, three times as three "nodes"; each
// leaves the done file naming a tarball and a JUnit report with the expected case count; the
// fleet report of the three runs loads in headless Chromium with no console message and shows
// the three nodes. What only a cluster can show (Sonobuoy's aggregator and worker sidecar, the
// DaemonSet's scheduling, the downward API) is out of reach here: docs/fleet.md.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildTriadImage } from '../../harness/fleet/image.js';
import { pluginDefinition, podFromDefinition, SONOBUOY_RESULTS_DIR } from '../../harness/fleet/sonobuoy.js';
import { checkPluginDefinition } from '../../harness/fleet/sonobuoy-schema.js';
import { parseManifests } from '../../harness/manifest/load.js';
import { triadRoot } from '../../interfaces/util/root.js';
import { loadRuns } from '../../conformance/runner/fleet.js';
import { fleetHtml, fleetMatrix } from '../../conformance/runner/reporters/html.js';
import { selectCases } from '../../conformance/runner/runner.js';
import { getSuite } from '../../conformance/suites.js';
import { pushImage } from '../../plugins/images/index.js';
import { waitFor } from '../../plugins/reference/proc.js';
import type { RunReport } from '../../conformance/runner/types.js';
import { CHROMIUM, loadPage, screenshot } from '../helpers/chromium.js';
import { stackNode, testOrSkip, useStack, type StackNode } from './stack.js';

const t = suite('fleet: the triad image as a Sonobuoy CRI plugin on the reference containerd');
const h = await useStack();
const it = testOrSkip(t, h);
t.after(() => h.release());

const NS = 'default';
const NODES = ['node-1', 'node-2', 'node-3'];
// A slice of the CRI suite that uses everything the plugin's pod spec provides: the runtime's
// socket (hostPath), the shared work dir (logs, host-path mounts), the node's network (host ports, streaming).
const FOCUS = '^cri\\.(runtime|logs|mounts|exec|network)\\.';
const work = mkdtempSync(join(tmpdir(), 'triad-fleet-proof-'));
let image = '';
let imageDigest = '';
const resultDirs: string[] = [];
h.defer(() => rmSync(work, { recursive: true, force: true }));

it('the image builds twice to the same digest and is pushed to the reference registry', async () => {
  const s = h.stack!;
  const t0 = Date.now();
  const a = buildTriadImage(join(work, 'image-a'), { root: triadRoot(), tag: 'proof' });
  const b = buildTriadImage(join(work, 'image-b'), { root: triadRoot(), tag: 'proof' });
  assert.not.ok(a.cached || b.cached, 'both built from scratch');
  assert.is(b.manifestDigest, a.manifestDigest, 'reproducible: the same manifest digest');
  assert.is(b.layerDigest, a.layerDigest);
  imageDigest = a.manifestDigest;
  const { refs } = await pushImage(a, s.registry!.host);
  image = refs[0];
  h.defer(() => h.client!.image.removeImage({ image: { image } }).catch(() => undefined));
  console.log(`    (image ${image} ${a.manifestDigest}; two builds and the push in ${Date.now() - t0} ms)`);
});

it("the CRI plugin's pod spec runs under the harness kubelet on containerd: done file and JUnit, three times", async () => {
  assert.ok(image, 'the image was built');
  const s = h.stack!;
  const socket = s.containerd!.socket;
  // Always: the tag is reused from build to build; the pull must fetch this build.
  const def = pluginDefinition('cri', {
    image,
    imagePullPolicy: 'Always',
    criSocket: socket,
    workDir: join(work, 'node-work'),
    extraArgs: ['--focus', FOCUS, '--test-image', s.images!.busybox, s.images!.pause, '--hostport-address', s.network.gateway, '--timeout', '60s'],
  });
  assert.equal(checkPluginDefinition(def), []);
  writeFileSync(join(work, 'triad-cri.yaml'), stringify(def));

  // What the suite will run: the focused cases plus the leak check; every case is reported (unselected ones as skipped).
  const cases = getSuite('cri')!.cases();
  const selected = selectCases(
    {
      name: 'cri',
      title: 'cri',
      cases,
      setup: async () => {
        throw new Error('unused');
      },
    },
    { focus: FOCUS },
  ).filter((x) => !x.skipped).length;
  assert.ok(selected >= 25, `focus selects ${selected} cases`);

  const node: StackNode = await stackNode(s);
  h.defer(() => node.cleanup());
  for (const nodeName of NODES) {
    const results = join(work, 'results', nodeName);
    mkdirSync(results, { recursive: true });
    resultDirs.push(results);
    const podName = `sonobuoy-triad-cri-${nodeName}`;
    const pod = podFromDefinition(def, { podName, nodeName, resultsDir: results });
    const t0 = Date.now();
    await node.kubelet.apply(parseManifests(stringify(pod), podName));
    const events = () =>
      node.kubelet
        .events(NS, podName)
        .map((e) => `  ${e.type} ${e.reason}: ${e.message}`)
        .join('\n');
    try {
      await waitFor(`${podName}: the done file`, () => existsSync(join(results, 'done')), {
        timeoutMs: 300_000,
        intervalMs: 500,
        abort: () => {
          const p = node.kubelet.get(NS, podName);
          const st = p.status?.containerStatuses?.[0];
          return p.status?.phase === 'Failed' || st?.state.terminated ? `the plugin container ended: ${JSON.stringify(st?.state)}` : undefined;
        },
      });
    } catch (err) {
      const logs = await node.kubelet.logs(NS, podName).catch((e: Error) => e.message);
      throw new Error(`${(err as Error).message}\nevents:\n${events()}\nlogs:\n${logs.slice(-4000)}`);
    }
    const ran = Date.now() - t0;
    // --stay: the container waits for SIGTERM after the done file, as a DaemonSet's must.
    const running = node.kubelet.get(NS, podName).status?.containerStatuses?.[0];
    assert.ok(running?.state.running, `the plugin container still runs after the done file: ${JSON.stringify(running?.state)}`);
    const logs = await node.kubelet.logs(NS, podName);
    await node.kubelet.delete(NS, podName, 30);

    // The done file names the tarball by its path inside the container (what the worker sidecar reads).
    const done = readFileSync(join(results, 'done'), 'utf8');
    assert.is(done, `${SONOBUOY_RESULTS_DIR}/triad-cri-results.tar.gz`);
    assert.ok(existsSync(join(results, 'triad-cri-results.tar.gz')));
    const junit = readFileSync(join(results, 'junit.xml'), 'utf8');
    const total = cases.length + 1; // + the leak check
    assert.match(
      junit,
      new RegExp(`<testsuites name="triad conformance" tests="${total}" failures="0"`),
      `JUnit of ${nodeName}:\n${junit.slice(0, 600)}\nlogs:\n${logs.slice(-3000)}`,
    );
    assert.is(junit.match(/<testcase /g)?.length, total);
    assert.match(junit, new RegExp(`hostname="${nodeName}"`));
    const rep = JSON.parse(readFileSync(join(results, 'results.json'), 'utf8')) as RunReport;
    assert.is(rep.node, nodeName);
    const ranCases = rep.suites[0].cases.filter((c) => !(c.status === 'skipped' && /--focus/.test(c.reason ?? '')));
    assert.is(ranCases.length, selected + 1, 'the focused cases and the leak check ran');
    assert.is(
      rep.totals.failed,
      0,
      rep.suites[0].cases
        .filter((c) => c.status === 'failed')
        .map((c) => `${c.id}: ${c.failure?.message}`)
        .join('\n'),
    );
    assert.match(rep.suites[0].facts.runtimeName ?? JSON.stringify(rep.suites[0].facts), /containerd/);
    console.log(`    (${nodeName}: ${rep.totals.passed} passed, ${rep.totals.notApplicable} not applicable, done file after ${ran} ms)`);
  }
});

it('the fleet report of the three runs loads in headless Chromium without console messages and shows the three nodes', async () => {
  assert.is(resultDirs.length, 3, 'three runs');
  if (!CHROMIUM) throw new Error('chromium is not installed (.ci/setup-host installs it)');
  const runs = loadRuns(resultDirs);
  assert.equal(
    runs.map((r) => r.node),
    NODES,
  );
  // CI keeps the page and its screenshot next to the other reports (.ci/run sets TRIAD_REPORTS_DIR).
  const out = process.env.TRIAD_REPORTS_DIR ?? work;
  mkdirSync(out, { recursive: true });
  const html = join(out, 'fleet-cri-reference.html');
  writeFileSync(html, fleetHtml(fleetMatrix(runs), `triad CRI on ${NODES.length} nodes (image ${imageDigest.slice(0, 19)})`));
  const page = await loadPage(html);
  assert.equal(page.problems, [], 'no console message, no failed load');
  const header = /<table class="matrix">\s*<tbody>\s*<tr>(.*?)<\/tr>/s.exec(page.dom)?.[1] ?? '';
  assert.equal(
    [...header.matchAll(/<th scope="col">([^<]+)<\/th>/g)].map((m) => m[1]),
    NODES,
    'the matrix has one column per node',
  );
  assert.match(page.dom, /<h1>triad CRI on 3 nodes[^<]*: 3 runs, 0 cases failing somewhere<\/h1>/);
  // One run's own report, from the tarball the done file names, renders too.
  const one = await loadPage(join(resultDirs[0], 'report.html'));
  assert.equal(one.problems, []);
  assert.match(one.dom, /<dt>node<\/dt><dd>node-1<\/dd>/);
  const png = join(out, 'fleet-cri-reference.png');
  await screenshot(html, png);
  assert.ok(readFileSync(png).length > 10_000, 'a screenshot with something on it');
});

t.run();
