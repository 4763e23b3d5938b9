// triad reference up|down|status — the reference stack (real containerd + runc over CRI, the
// bridge CNI plugins, a local registry with offline busybox/pause images), set up by one command.
import type { Command } from 'commander';
import { parseConfigText } from '../../harness/config/config.js';
import { defaultReferenceDir, referenceDown, referenceStatus, referenceUp, type ConfigCheck } from '../../plugins/reference/index.js';

interface Opts {
  stateDir?: string;
  registryPort?: string;
  subnet?: string;
  json?: boolean;
  quiet?: boolean;
}

const port = (v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`--registry-port: not a port: ${v}`);
  return n;
};

/** The stack's triad.yaml must pass the harness's own parser (it throws naming the bad key). */
const checkConfig: ConfigCheck = (text, file) => {
  parseConfigText(text, file);
};

function common(cmd: Command): Command {
  return cmd
    .option('--state-dir <dir>', `where the stack lives (default: $TRIAD_REFERENCE_DIR or ${defaultReferenceDir({})})`)
    .option('--json', 'print the result as JSON');
}

export function register(program: Command): void {
  const ref = program
    .command('reference')
    .description('the reference stack: private containerd (CRI) + bridge CNI + hostPath CSI driver + local registry, for real-plugin runs (root)');

  common(ref.command('up'))
    .description('install what is missing, build images, start the registry, a private containerd and the hostPath CSI driver; write triad.yaml')
    .option('--registry-port <port>', 'local registry port (default: first free from 5000)')
    .option(
      '--subnet <cidr>',
      'pod subnet on the bridge: a /24../29 (exactly it), a larger block (a free /24 inside it) or auto (default: $TRIAD_REFERENCE_SUBNET, else auto: a free /24 in 10/8, 172.16/12, 192.168/16 that no route or address here overlaps, outside 10.96.0.0/12)',
    )
    .option('-q, --quiet', 'no progress lines')
    .action(async (o: Opts) => {
      const r = await referenceUp({
        stateDir: o.stateDir,
        registryPort: port(o.registryPort),
        subnet: o.subnet,
        checkConfig,
        log: o.quiet || o.json ? undefined : (m) => console.error(`reference: ${m}`),
      });
      if (o.json) {
        console.log(JSON.stringify(r, null, 2));
        return;
      }
      console.log(`${r.reused ? 'already running' : 'up'}: ${r.stateDir}`);
      console.log(`config:     ${r.triadYaml}`);
      console.log(`runtime:    ${r.containerd!.endpoint}  (containerd pid ${r.containerd!.pid})`);
      console.log(`registry:   ${r.registry!.url}  (pid ${r.registry!.pid})`);
      console.log(`images:     ${r.images!.busybox} ${r.images!.busyboxLatest} ${r.images!.pause}`);
      console.log(`network:    ${r.network.name} on bridge ${r.network.bridge}, subnet ${r.network.subnet} (conflist ${r.network.conflist})`);
      console.log(
        `storage:    ${r.hostpath!.name} at ${r.hostpath!.endpoint}  (pid ${r.hostpath!.pid}, volumes under ${r.hostpath!.root}; storage class standard, default)`,
      );
      if (!r.reused)
        console.log(
          `took:       ${Object.entries(r.timingsMs)
            .map(([k, v]) => `${k} ${v} ms`)
            .join(', ')}`,
        );
      console.log(
        `use it:     export TRIAD_CONFIG=${r.triadYaml}   (or: triad kubelet --config ${r.triadYaml}; crictl-style tools: CONTAINER_RUNTIME_ENDPOINT=${r.containerd!.endpoint})`,
      );
    });

  common(ref.command('down'))
    .description('stop everything the stack started and remove all it created')
    .action(async (o: Opts) => {
      const r = await referenceDown({ stateDir: o.stateDir, log: o.json ? undefined : (m) => console.error(`reference: ${m}`) });
      if (o.json) {
        console.log(JSON.stringify(r, null, 2));
        return;
      }
      if (!r.found && !r.removed) {
        console.log(`nothing to do: no stack at ${r.stateDir}`);
        return;
      }
      const pods = r.containerd?.drained?.pods.length ?? 0;
      console.log(
        `down: ${r.stateDir} removed (${pods} sandbox(es) removed, containerd ${r.containerd?.daemon ?? 'not started'}, hostPath driver ${r.hostpath?.daemon ?? 'not started'}, registry ${r.registry ?? 'not started'}, bridge ${r.bridge?.bridge ? 'deleted' : 'absent'}, ${r.unmounted.length} mount(s) unmounted)`,
      );
    });

  common(ref.command('status'))
    .description('health of each component; exits 1 when anything is unhealthy')
    .action(async (o: Opts) => {
      const r = await referenceStatus({ stateDir: o.stateDir, checkConfig });
      if (o.json) console.log(JSON.stringify(r, null, 2));
      else {
        console.log(`${r.healthy ? 'healthy' : 'UNHEALTHY'}: ${r.stateDir}`);
        for (const [name, c] of Object.entries(r.components)) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${name.padEnd(10)} ${c.detail}`);
        for (const p of r.problems.filter((x) => x.startsWith('phase') || x.startsWith('no stack'))) console.log(`  ${p}`);
      }
      if (!r.healthy) process.exitCode = 1;
    });
}
