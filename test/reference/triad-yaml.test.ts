// The triad.yaml the reference stack writes, no root needed: it passes the harness's own parser
// (the stack sits below the harness and gets that parser from its caller as a ConfigCheck).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfigText } from '../../harness/config/config.js';
import { triadYamlText, type StackInfo } from '../../plugins/reference/index.js';
import { checkConfig } from './stack.js';

const t = suite('reference stack: triad.yaml');

const dir = '/var/lib/triad-reference-example';
const stack: StackInfo = {
  version: 1,
  stateDir: dir,
  createdAt: new Date(0).toISOString(),
  phase: 'up',
  triadYaml: `${dir}/triad.yaml`,
  registry: {
    pid: 11,
    port: 5000,
    host: '127.0.0.1:5000',
    url: 'http://127.0.0.1:5000',
    config: `${dir}/registry/config.yml`,
    root: `${dir}/registry/data`,
    log: `${dir}/registry/registry.log`,
  },
  containerd: {
    pid: 12,
    endpoint: `unix://${dir}/containerd/containerd.sock`,
    socket: `${dir}/containerd/containerd.sock`,
    dir: `${dir}/containerd`,
    config: `${dir}/containerd/config.toml`,
    root: `${dir}/containerd/root`,
    state: `${dir}/containerd/state`,
    runcRoot: `${dir}/containerd/runc`,
    log: `${dir}/containerd/containerd.log`,
  },
  hostpath: {
    pid: 13,
    endpoint: `unix://${dir}/hostpath/csi.sock`,
    socket: `${dir}/hostpath/csi.sock`,
    root: `${dir}/hostpath/root`,
    nodeId: 'reference-node',
    name: 'hostpath.csi.triad.dev',
    log: `${dir}/hostpath/hostpath.log`,
    command: ['triad', 'serve', 'hostpath-csi'],
  },
  network: {
    name: 'triad-reference',
    bridge: 'triad0',
    subnet: '10.244.7.0/24',
    gateway: '10.244.7.1',
    conflist: `${dir}/cni/net.d/10-triad.conflist`,
    confDir: `${dir}/cni/net.d`,
    binDir: `${dir}/cni/bin`,
    sourceBinDir: '/usr/lib/cni',
    ipamDir: `${dir}/cni/ipam`,
  },
  images: { busybox: '127.0.0.1:5000/busybox:1.36', busyboxLatest: '127.0.0.1:5000/busybox:latest', pause: '127.0.0.1:5000/pause:3.10', digests: {} },
  host: { ipForward: '0', natChains: [], cgroups: [], runContainerd: false },
};

t("the stack's triad.yaml passes the harness's parser: containerd at its socket, the bridge conflist, both CSI drivers", () => {
  const text = triadYamlText(stack);
  checkConfig(text, stack.triadYaml); // what `triad reference up` runs before writing it
  const cfg = parseConfigText(text, stack.triadYaml);
  assert.is(cfg.runtime.type, 'containerd');
  assert.is(cfg.runtime.endpoint, stack.containerd!.endpoint);
  assert.is(cfg.network.type, 'cni');
  assert.is(cfg.network.config, stack.network.conflist);
  assert.equal(
    cfg.storage.drivers.map((d) => d.type),
    ['memory', 'hostpath'],
  );
  assert.equal(cfg.storage.classes.find((c) => c.default)?.driver, 'hostpath.csi.triad.dev');
});

t('a check that refuses the text stops it, naming the file', () => {
  assert.throws(
    () => checkConfig(`${triadYamlText(stack)}bogus: [`, stack.triadYaml),
    (e: Error) => e.message.includes(stack.triadYaml),
  );
});

t.run();
