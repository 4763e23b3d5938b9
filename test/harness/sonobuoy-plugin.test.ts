// `triad sonobuoy plugin`: each suite's definition passes our check of Sonobuoy's plugin format,
// the pod Sonobuoy would make of it passes the harness's Pod validation, each suite gets the
// mounts and privileges it needs and no more, and the check itself catches what Sonobuoy would
// silently ignore or the API server would refuse.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { triadRoot } from '../../interfaces/util/root.js';
import { DEFAULTS, pluginDefinition, podFromDefinition, SONOBUOY_RESULTS_DIR, SUITES, type PluginDefinition } from '../../harness/fleet/sonobuoy.js';
import { checkPluginDefinition } from '../../harness/fleet/sonobuoy-schema.js';
import { validateManifest } from '../../harness/manifest/validate.js';

const t = suite('sonobuoy plugin definitions');
const root = triadRoot();
const run = promisify(execFile);
const IMAGE = '127.0.0.1:5000/triad:test';

async function triad(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return run(process.execPath, ['--import', 'tsx', join(root, 'cli/main.ts'), ...args], { cwd: root, timeout: 60_000 })
    .then((r) => ({ ...r, code: 0 }))
    .catch((e: { stdout: string; stderr: string; code: number }) => ({ stdout: e.stdout, stderr: e.stderr, code: e.code }));
}

const def = (s: (typeof SUITES)[number]) => pluginDefinition(s, { image: IMAGE, driver: 'hostpath.csi.k8s.io' });
const hostPaths = (d: PluginDefinition) => Object.fromEntries(d.podSpec.volumes.map((v) => [v.hostPath.path, v.hostPath.type]));

t("every suite's definition (and its YAML) passes the Sonobuoy format check", async () => {
  for (const s of SUITES) {
    const d = def(s);
    assert.equal(checkPluginDefinition(d), [], s);
    assert.is(d['sonobuoy-config'].driver, 'DaemonSet');
    assert.is(d['sonobuoy-config']['result-format'], 'junit');
    assert.is(d['sonobuoy-config']['plugin-name'], `triad-${s}`);
    assert.equal(d.podSpec.tolerations, [{ operator: 'Exists' }], `${s}: tolerates every taint`);
    assert.ok(d.spec.args.includes('--sonobuoy'), `${s}: writes Sonobuoy results`);
    assert.equal(d.spec.env[0], { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    assert.ok(d.spec.volumeMounts.some((m) => m.name === 'results' && m.mountPath === SONOBUOY_RESULTS_DIR));
  }
  // The CLI prints exactly these (two suites: each spawn costs seconds).
  for (const s of ['cri', 'pod'] as const) {
    const printed = await triad(['sonobuoy', 'plugin', s, '--image', IMAGE, '--driver', 'hostpath.csi.k8s.io']);
    assert.is(printed.code, 0, printed.stderr);
    const parsed = parse(printed.stdout);
    assert.equal(checkPluginDefinition(parsed), [], `${s} as printed`);
    assert.equal(parsed, JSON.parse(JSON.stringify(def(s))), `${s}: the CLI prints the definition`);
  }
});

t("the pod Sonobuoy makes of each definition passes the harness's Pod validation", () => {
  for (const s of SUITES) {
    const pod = podFromDefinition(def(s), { podName: `sonobuoy-${s}`, nodeName: 'node-1', resultsDir: '/tmp/results-x', configDir: '/tmp/config-x' });
    const { warnings } = validateManifest(pod, `${s} plugin`);
    // Scheduling fields mean nothing on one node: accepted with a warning, not an error.
    assert.ok(
      warnings.some((w) => /tolerations/.test(w)),
      `${s}: ${warnings.join('; ')}`,
    );
    const c = (pod.spec as { containers: Array<{ env: Array<{ name: string; value?: string }> }> }).containers[0];
    assert.equal(
      c.env.find((e) => e.name === 'NODE_NAME'),
      { name: 'NODE_NAME', value: 'node-1' },
      'downward API resolved as the kubelet would',
    );
    assert.equal(
      c.env.find((e) => e.name === 'RESULTS_DIR'),
      { name: 'RESULTS_DIR', value: SONOBUOY_RESULTS_DIR },
    );
  }
  assert.throws(() => podFromDefinition(def('pod'), { podName: 'p', nodeName: 'n', resultsDir: '/r' }), /config-map/);
});

t('mounts and privileges per suite, with the usual defaults', () => {
  const cri = def('cri');
  assert.equal(hostPaths(cri), { [DEFAULTS.criSocket]: 'Socket', [DEFAULTS.workDir]: 'DirectoryOrCreate' });
  assert.equal(cri.spec.securityContext, { runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  assert.is(cri.podSpec.hostNetwork, true, "the streaming server answers on the node's loopback");
  assert.ok(cri.spec.args.join(' ').includes(`--runtime-endpoint unix://${DEFAULTS.criSocket}`));

  const csi = def('csi');
  assert.equal(hostPaths(csi), {
    '/var/lib/kubelet/plugins/hostpath.csi.k8s.io': 'Directory',
    '/var/lib/kubelet/plugins/triad-conformance': 'DirectoryOrCreate',
  });
  assert.ok(csi.spec.args.join(' ').includes('--csi.endpoint unix:///var/lib/kubelet/plugins/hostpath.csi.k8s.io/csi.sock'));
  assert.is(csi.podSpec.hostNetwork, false);
  assert.equal(csi.spec.securityContext.capabilities, { drop: ['ALL'] });
  assert.not.ok(csi.spec.securityContext.privileged);

  const cni = def('cni');
  assert.equal(hostPaths(cni), { '/opt/cni/bin': 'Directory', '/etc/cni/net.d': 'Directory', '/var/lib/cni': 'DirectoryOrCreate' });
  assert.ok(
    cni.spec.volumeMounts.filter((m) => m.name === 'cni-bin' || m.name === 'cni-conf').every((m) => m.readOnly === true),
    'CNI dirs read-only',
  );
  assert.equal(cni.spec.securityContext.capabilities, { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN'] });
  assert.not.ok(cni.spec.securityContext.privileged, 'capabilities, not privileged');
  assert.is(cni.podSpec.hostNetwork, true);
  assert.equal(
    cni.spec.env.find((e) => e.name === 'NETCONFPATH'),
    { name: 'NETCONFPATH', value: '/etc/cni/net.d' },
  );

  const pod = def('pod');
  assert.ok(pod['config-map']?.['triad.yaml'].includes('type: endpoint'));
  assert.ok(pod['config-map']?.['triad.yaml'].includes('unix:///var/lib/kubelet/plugins/hostpath.csi.k8s.io/csi.sock'));
  assert.not.ok(pod.spec.securityContext.privileged);

  // Flags move every mount.
  const moved = pluginDefinition('cri', { image: IMAGE, criSocket: '/run/crio/crio.sock', workDir: '/srv/triad' });
  assert.equal(hostPaths(moved), { '/run/crio/crio.sock': 'Socket', '/srv/triad': 'DirectoryOrCreate' });
  const cniMoved = pluginDefinition('cni', { image: IMAGE, cniBinDir: '/usr/lib/cni', cniConfDir: '/etc/cni/conf.d', cniConfig: '10-bridge.conflist' });
  assert.ok(cniMoved.spec.args.join(' ').includes('--cni-path /usr/lib/cni'));
  assert.ok(cniMoved.spec.args.join(' ').includes('--config /etc/cni/conf.d/10-bridge.conflist'));
  const csiMoved = pluginDefinition('csi', { image: IMAGE, driver: 'd.example.com', kubeletDir: '/data/kubelet' });
  assert.ok(csiMoved.spec.args.join(' ').includes('unix:///data/kubelet/plugins/d.example.com/csi.sock'));
});

t('bad options are refused, naming the flag', async () => {
  assert.throws(() => pluginDefinition('csi', { image: IMAGE }), /--driver NAME is required/);
  assert.throws(() => pluginDefinition('cri', { image: IMAGE, criSocket: 'run/x.sock' }), /--cri-socket must be an absolute path/);
  assert.throws(() => pluginDefinition('csi', { image: IMAGE, driver: 'bad/name' }), /--driver "bad\/name"/);
  assert.throws(() => pluginDefinition('cri', { image: IMAGE, name: 'Triad' }), /--name "Triad"/);
  const r = await triad(['sonobuoy', 'plugin', 'gpu', '--image', IMAGE]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /unknown suite "gpu"/);
  const noImage = await triad(['sonobuoy', 'plugin', 'cri']);
  assert.ok(noImage.code !== 0);
  assert.match(noImage.stderr, /--image/);
});

t('the format check catches misspelt fields, wrong types and dangling mounts', () => {
  const bad = (mutate: (d: any) => void) => {
    const d: any = structuredClone(def('cri'));
    mutate(d);
    return checkPluginDefinition(d);
  };
  assert.equal(
    bad((d) => {
      d['sonobuoy-config'].plugin_name = 'x';
    }),
    ['sonobuoy-config.plugin_name: not a field of sonobuoy-config (did you mean plugin-name?)'],
  );
  assert.equal(
    bad((d) => {
      d['sonobuoy-config'].driver = 'Daemonset';
    }),
    ['sonobuoy-config.driver: must be one of Job, DaemonSet (got "Daemonset")'],
  );
  assert.equal(
    bad((d) => {
      delete d['sonobuoy-config']['plugin-name'];
    }),
    ['sonobuoy-config.plugin-name: required'],
  );
  assert.equal(
    bad((d) => {
      d.podSpec.hostNetwork = 'yes';
    }),
    ['podSpec.hostNetwork: must be a boolean, not string'],
  );
  assert.equal(
    bad((d) => {
      d.podSpec.tolerations = [{ operator: 'exists' }];
    }),
    ['podSpec.tolerations[0].operator: must be one of Exists, Equal (got "exists")'],
  );
  assert.equal(
    bad((d) => {
      d.spec.volumeMounts.push({ name: 'nowhere', mountPath: '/x' });
    }),
    ['spec.volumeMounts[3].name: no volume named "nowhere" in podSpec.volumes or extra-volumes'],
  );
  assert.equal(
    bad((d) => {
      d.spec.volumeMounts[1].mountPropagation = 'Bidirectional';
    }),
    ['spec.volumeMounts[1].mountPropagation: Bidirectional needs a privileged container'],
  );
  assert.equal(
    bad((d) => {
      d.podSpec.restartPolicy = 'Never';
    }),
    ["podSpec.restartPolicy: a DaemonSet's pods must restart Always (got Never)"],
  );
  assert.equal(
    bad((d) => {
      d.spec.resources.requests.cpu = 'lots';
    }),
    ['spec.resources.requests.cpu: must be a quantity (e.g. 100m, 256Mi), got "lots"'],
  );
  assert.equal(
    bad((d) => {
      d.spec.securityContext.runAsUser = '0';
    }),
    ['spec.securityContext.runAsUser: must be an integer, not string'],
  );
  assert.equal(
    bad((d) => {
      d.podspec = d.podSpec;
      delete d.podSpec;
    }),
    ['podspec: not a field of Sonobuoy plugin (did you mean podSpec?)'],
  );
  assert.equal(checkPluginDefinition('driver: DaemonSet'), [': must be a Sonobuoy plugin, not string']);
});

t.run();
