// examples/plugins/cni-static: the CNI suite passes in-process (every case, the example's own
// invalid config included) and against the executable installed into a bin dir, the way a
// runtime finds it; and the installed shim speaks the exec protocol by itself.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cniSuite } from '../../conformance/cni/suite.js';
import { parseConfList, type NetworkConfigList } from '../../interfaces/cni/index.js';
import { installStaticCni } from '../../examples/plugins/cni-static/install.js';
import { invokeStaticCni, STATIC_CNI_TYPE } from '../../examples/plugins/cni-static/plugin.js';
import { assertConformant, byId, exampleText, runQuiet, tmp } from './helpers.js';

const test = suite('example: cni-static');

/** The example's own conflist, with its allocations under `dir`. */
function exampleNet(dir: string): NetworkConfigList {
  const list = JSON.parse(exampleText('cni-static/example.conflist'));
  list.plugins[0].dataDir = join(dir, 'state');
  return parseConfList(JSON.stringify(list));
}
const invalidConfig = () => JSON.parse(exampleText('cni-static/invalid-config.json'));

test('the CNI suite passes in-process: every case that applies, the parallel ADDs and the invalid config included', async () => {
  const t = tmp('triad-ex-cni-');
  try {
    const rep = await runQuiet([
      cniSuite({
        path: [],
        list: exampleNet(t.dir),
        inProcess: { [STATIC_CNI_TYPE]: invokeStaticCni },
        parallelAdds: 4, // the example network has four addresses
        invalidConfig: invalidConfig(),
      }),
    ]);
    assertConformant(rep, 30);
    for (const id of [
      'cni.ipam.distinct-addresses-parallel',
      'cni.errors.invalid-config',
      'cni.errors.invalid-config-well-known-code',
      'cni.ipam.del-frees-address',
      'cni.gc.removes-stale',
      'cni.leak-check',
    ]) {
      assert.is(byId(rep, id)?.status, 'passed', id);
    }
    // Only what a plugin that configures no interface cannot do is left out.
    for (const id of [
      'cni.add.interface-in-sandbox',
      'cni.add.sandbox-is-cni-netns',
      'cni.add.existing-interface-fails',
      'cni.netns.result-matches-netns',
      'cni.chain.prev-result-preserved',
    ]) {
      assert.is(byId(rep, id)?.status, 'not-applicable', id);
    }
  } finally {
    t.cleanup();
  }
});

test('the CNI suite passes against the executable installed in a bin dir', async () => {
  const t = tmp('triad-ex-cni-');
  try {
    const bin = join(t.dir, 'bin');
    const exe = installStaticCni(bin);
    assert.is(exe, join(bin, STATIC_CNI_TYPE));
    assert.ok(statSync(exe).mode & 0o100, 'the shim is executable');
    assert.match(readFileSync(exe, 'utf8'), /^#!\/bin\/sh\nexec /);
    // Each call starts node: the verbs and what shows through the executable (the error object,
    // a real list with the next plugin, parallel processes); the in-process run above has the rest.
    const rep = await runQuiet([cniSuite({ path: [bin], list: exampleNet(t.dir), parallelAdds: 4, invalidConfig: invalidConfig() })], {
      parallel: 2,
      timeoutMs: 60_000,
      focus:
        '^cni\\.(version\\.reports|add\\.result-valid|check\\.|del\\.|errors\\.(error-output-format|invalid-config)|chain\\.|ipam\\.|status\\.|gc\\.|leak-check)',
    });
    assertConformant(rep, 18);
    assert.is(byId(rep, 'cni.chain.result-reaches-next-plugin')?.status, 'passed', "a real list: the suite's recorder plugin ran after it");
  } finally {
    t.cleanup();
  }
});

test('the installed shim runs the plugin with a minimal environment (as a runtime execs it)', async () => {
  const t = tmp('triad-ex-cni-');
  try {
    const exe = installStaticCni(join(t.dir, 'bin'));
    const conf = JSON.stringify({ cniVersion: '1.0.0', name: 'n1', type: STATIC_CNI_TYPE, addresses: ['10.9.0.5/24'], dataDir: join(t.dir, 'state') });
    const env = { CNI_CONTAINERID: 'c1', CNI_NETNS: '/var/run/netns/x', CNI_IFNAME: 'eth0', CNI_PATH: join(t.dir, 'bin') };
    const run = (cmd: string) => execa(exe, [], { input: conf, env: { ...env, CNI_COMMAND: cmd }, extendEnv: false, reject: false });
    const add = await run('ADD');
    assert.is(add.exitCode, 0, add.stdout + add.stderr);
    assert.equal(JSON.parse(add.stdout).ips, [{ address: '10.9.0.5/24' }]);
    assert.is(readFileSync(join(t.dir, 'state', 'n1', '10.9.0.5'), 'utf8'), 'c1\neth0', 'host-local style allocation file');
    const full = await execa(exe, [], { input: conf, env: { ...env, CNI_CONTAINERID: 'c2', CNI_COMMAND: 'ADD' }, extendEnv: false, reject: false });
    assert.is(full.exitCode, 1);
    assert.is(JSON.parse(full.stdout).code, 11, 'TRY_AGAIN_LATER when every address is taken');
    assert.is((await run('DEL')).exitCode, 0);
    assert.is((await run('DEL')).exitCode, 0, 'DEL is idempotent');
  } finally {
    t.cleanup();
  }
});

test.run();
