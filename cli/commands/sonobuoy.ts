// `triad sonobuoy plugin cri|csi|cni|pod [options]`: print a Sonobuoy plugin definition that runs
// that conformance suite on every node of a cluster (harness/fleet/sonobuoy.ts says what each
// mount and privilege is for; docs/fleet.md how to run it).
import type { Command } from 'commander';
import { DEFAULTS, pluginDefinition, pluginYaml, SUITES, type PluginSuite } from '../../harness/fleet/sonobuoy.js';
import { checkPluginDefinition } from '../../harness/fleet/sonobuoy-schema.js';

interface Opts {
  image: string;
  pullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  criSocket?: string;
  driver?: string;
  csiSocket?: string;
  kubeletDir?: string;
  cniBinDir?: string;
  cniConfDir?: string;
  cniConfig?: string;
  cniStateDir?: string;
  workDir?: string;
  name?: string;
  arg: string[];
}

export function register(program: Command): void {
  const sono = program.command('sonobuoy').description('run the conformance suites on every node of a cluster with Sonobuoy');
  sono
    .command('plugin')
    .description('print a Sonobuoy plugin definition (driver DaemonSet, JUnit results) for one suite: sonobuoy run --plugin FILE')
    .argument('<suite>', SUITES.join(' | '))
    .requiredOption('--image <ref>', 'the triad image the nodes pull (triad image build --push REGISTRY/NAME:TAG)')
    .option('--pull-policy <policy>', 'Always | IfNotPresent | Never', 'IfNotPresent')
    .option('--cri-socket <path>', 'CRI socket on the nodes (cri, pod)', DEFAULTS.criSocket)
    .option('--driver <name>', 'CSI driver name (csi: required; pod: use it for the claims)')
    .option('--csi-socket <path>', 'CSI socket on the nodes (default: <kubelet-dir>/plugins/<driver>/csi.sock)')
    .option('--kubelet-dir <dir>', 'kubelet root dir on the nodes', DEFAULTS.kubeletDir)
    .option('--cni-bin-dir <dir>', 'CNI plugin binaries on the nodes', DEFAULTS.cniBinDir)
    .option('--cni-conf-dir <dir>', 'CNI network configs on the nodes', DEFAULTS.cniConfDir)
    .option('--cni-config <file>', 'cni: the config file in --cni-conf-dir to test (default: the first there)')
    .option('--cni-state-dir <dir>', 'CNI state (IPAM allocations, result cache) on the nodes', DEFAULTS.cniStateDir)
    .option('--work-dir <dir>', 'node dir shared with the runtime for logs and host-path volumes (cri, pod)', DEFAULTS.workDir)
    .option('--name <name>', 'plugin name (default triad-<suite>)')
    .option(
      '--arg <arg>',
      'one more argument for triad conformance <suite> (repeatable), e.g. --arg=--focus --arg=image',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .action((suite: string, o: Opts) => {
      if (!SUITES.includes(suite as PluginSuite)) throw new Error(`unknown suite ${JSON.stringify(suite)} (${SUITES.join(', ')})`);
      if (o.pullPolicy && !['Always', 'IfNotPresent', 'Never'].includes(o.pullPolicy))
        throw new Error(`--pull-policy ${JSON.stringify(o.pullPolicy)}: Always, IfNotPresent or Never`);
      const def = pluginDefinition(suite as PluginSuite, {
        image: o.image,
        imagePullPolicy: o.pullPolicy,
        criSocket: o.criSocket,
        driver: o.driver,
        csiSocket: o.csiSocket,
        kubeletDir: o.kubeletDir,
        cniBinDir: o.cniBinDir,
        cniConfDir: o.cniConfDir,
        cniConfig: o.cniConfig,
        cniStateDir: o.cniStateDir,
        workDir: o.workDir,
        name: o.name,
        extraArgs: o.arg,
      });
      const problems = checkPluginDefinition(def);
      if (problems.length) throw new Error(`generated an invalid plugin definition (a bug in triad):\n  ${problems.join('\n  ')}`);
      process.stdout.write(pluginYaml(def));
    });
}
