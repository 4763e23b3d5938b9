// Start-up costs, each beside its floor in the same interleaved rounds (the machine's load falls
// on both alike): a CNI verb of triad's TypeScript plugins (memory-cni, the cni-static example,
// both installed the way users install them) against Debian's Go bridge plugin with host-local
// doing real work in a network namespace of ours; and `triad --version` against `node -e 0`.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { installStaticCni } from '../../examples/plugins/cni-static/install.js';
import { triadRoot } from '../../interfaces/util/root.js';
import { installCniBinary } from '../../plugins/memory-cni/index.js';
import { serveMemoryCsi } from '../../plugins/memory-csi/index.js';
import { takeReferenceLock } from './reference.js';
import { median, ratio, round } from './stats.js';

const BRIDGE_DIR = '/usr/lib/cni';

export interface VerbTimes {
  addMs: number;
  delMs: number;
  perVerbMs: number;
}
export interface CniStartup {
  rounds: number;
  memory: VerbTimes;
  static: VerbTimes;
  bridge?: VerbTimes;
  /** `node -e 0` in the same rounds: Node's own start, the floor of any verb of a Node plugin. */
  nodeMs: number;
  /** Why bridge was not measured. */
  bridgeSkipped?: string;
  /** per-verb median over bridge's (absent without bridge). */
  ratio?: { memory: number; static: number };
}
export interface CliStartup {
  rounds: number;
  versionMs: number;
  nodeMs: number;
  ratio: number;
  /** The same two without NODE_EXTRA_CA_CERTS when it is set (Node reads that bundle at every start). */
  withoutExtraCaCerts?: { versionMs: number; nodeMs: number };
  /** `triad conformance csi` against memory-csi served by the bench: the command's wall time and its cases' summed time. */
  csi?: { wallMs: number; caseMs: number; cases: number; failed: number; ratio: number };
}

interface Subject {
  name: string;
  exe: string;
  args?: string[];
  conf: string;
  netns: (i: number) => string;
}

function verb(s: Subject, cmd: 'ADD' | 'DEL', id: string, netns: string): number {
  const t0 = performance.now();
  const p = spawnSync(s.exe, s.args ?? [], {
    input: s.conf,
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', CNI_COMMAND: cmd, CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: 'eth0', CNI_PATH: BRIDGE_DIR },
  });
  const ms = performance.now() - t0;
  if (p.status !== 0) throw new Error(`${s.name} ${cmd} exited ${p.status}: ${String(p.stdout).slice(0, 300)}${String(p.stderr).slice(0, 300)}`);
  return ms;
}

const summary = (add: number[], del: number[]): VerbTimes => ({
  addMs: round(median(add), 2),
  delMs: round(median(del), 2),
  perVerbMs: round(median([...add, ...del]), 2),
});

function bridgeUnavailable(noBridge?: string): string | undefined {
  if (noBridge) return noBridge;
  if (process.getuid?.() !== 0) return 'needs root (a network namespace and a Linux bridge)';
  if (!existsSync(join(BRIDGE_DIR, 'bridge')) || !existsSync(join(BRIDGE_DIR, 'host-local'))) return `no bridge/host-local in ${BRIDGE_DIR}`;
  return undefined;
}

/** Per-verb wall time (ADD then DEL of one attachment per round) of each plugin, interleaved. */
export async function cniStartup(o: { rounds: number; noBridge?: string; lockHeld?: boolean; progress?: (m: string) => void }): Promise<CniStartup> {
  const dir = mkdtempSync(join(tmpdir(), 'triad-bench-cni-'));
  const tag = `tb${process.pid % 100000}`;
  const bridgeSkipped = bridgeUnavailable(o.noBridge);
  const nsName = (i: number) => `${tag}-${i}`;
  const nsPath = (i: number) => (bridgeSkipped ? `/var/run/netns/${tag}-none` : `/var/run/netns/${nsName(i)}`);
  const subjects: Subject[] = [
    {
      name: 'memory',
      exe: installCniBinary(join(dir, 'bin'), 'triad-memory'),
      netns: nsPath,
      conf: JSON.stringify({ cniVersion: '1.1.0', name: 'triad-bench-memory', type: 'triad-memory', subnet: '10.252.0.0/24', dataDir: join(dir, 'memory') }),
    },
    {
      name: 'static',
      exe: installStaticCni(join(dir, 'bin')),
      netns: nsPath,
      conf: JSON.stringify({
        cniVersion: '1.1.0',
        name: 'triad-bench-static',
        type: 'triad-static',
        addresses: ['10.253.0.10/24'],
        dataDir: join(dir, 'static'),
      }),
    },
    { name: 'node', exe: process.execPath, args: ['-e', '0'], netns: nsPath, conf: '' },
  ];
  if (!bridgeSkipped) {
    subjects.push({
      name: 'bridge',
      exe: join(BRIDGE_DIR, 'bridge'),
      netns: nsPath,
      conf: JSON.stringify({
        cniVersion: '1.0.0',
        name: 'triad-bench-bridge',
        type: 'bridge',
        bridge: tag,
        isGateway: true,
        ipam: { type: 'host-local', subnet: '10.251.0.0/24', dataDir: join(dir, 'host-local') },
      }),
    });
  }
  const times = new Map(subjects.map((s) => [s.name, { add: [] as number[], del: [] as number[] }]));
  const release = bridgeSkipped || o.lockHeld ? () => undefined : await takeReferenceLock();
  try {
    // Round 0 warms the page cache and is not counted.
    for (let i = 0; i <= o.rounds; i++) {
      if (!bridgeSkipped) execIp(['netns', 'add', nsName(i)]);
      try {
        for (const s of subjects) {
          const add = verb(s, 'ADD', `bench-${i}`, s.netns(i));
          const del = verb(s, 'DEL', `bench-${i}`, s.netns(i));
          if (i > 0) {
            times.get(s.name)!.add.push(add);
            times.get(s.name)!.del.push(del);
          }
        }
      } finally {
        if (!bridgeSkipped) execIp(['netns', 'del', nsName(i)]);
      }
    }
  } finally {
    if (!bridgeSkipped) spawnSync('ip', ['link', 'del', tag], { stdio: 'ignore' });
    release();
    rmSync(dir, { recursive: true, force: true });
  }
  const v = (n: string) => summary(times.get(n)!.add, times.get(n)!.del);
  const res: CniStartup = { rounds: o.rounds, memory: v('memory'), static: v('static'), nodeMs: v('node').perVerbMs };
  if (bridgeSkipped) res.bridgeSkipped = bridgeSkipped;
  else {
    res.bridge = v('bridge');
    res.ratio = { memory: ratio(res.memory.perVerbMs, res.bridge.perVerbMs), static: ratio(res.static.perVerbMs, res.bridge.perVerbMs) };
  }
  o.progress?.(
    `  CNI per verb: memory ${res.memory.perVerbMs} ms, static ${res.static.perVerbMs} ms, node -e 0 ${res.nodeMs} ms, bridge ${res.bridge ? `${res.bridge.perVerbMs} ms` : `skipped (${bridgeSkipped})`}`,
  );
  return res;
}

function execIp(args: string[]): void {
  const p = spawnSync('ip', args, { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`ip ${args.join(' ')}: ${p.stderr.trim()}`);
}

/** Median wall time of `node bin/triad.js --version` and of `node -e 0`, interleaved, in the given environment. */
function versionTimes(bin: string, version: string, rounds: number, env: NodeJS.ProcessEnv): { versionMs: number; nodeMs: number } {
  const cli: number[] = [];
  const node: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    let t0 = performance.now();
    const p = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8', env });
    const c = performance.now() - t0;
    if (p.status !== 0 || p.stdout.trim() !== version) throw new Error(`triad --version: exit ${p.status}, printed ${JSON.stringify(p.stdout)} ${p.stderr}`);
    t0 = performance.now();
    spawnSync(process.execPath, ['-e', '0'], { env });
    const n = performance.now() - t0;
    if (i > 0) {
      cli.push(c);
      node.push(n);
    }
  }
  return { versionMs: round(median(cli), 1), nodeMs: round(median(node), 1) };
}

/** `triad conformance csi` (the built CLI, a process of its own) against memory-csi served here: wall time and the cases' own time. */
export async function cliCsiRun(bin: string, limitCases?: number): Promise<NonNullable<CliStartup['csi']>> {
  const dir = mkdtempSync(join(tmpdir(), 'triad-bench-cli-csi-'));
  const csi = await serveMemoryCsi({ nodeId: 'triad-bench-node', dataDir: join(dir, 'data'), endpoint: join(dir, 'csi.sock') });
  try {
    const json = join(dir, 'report.json');
    const args = [
      bin,
      'conformance',
      'csi',
      '--csi.endpoint',
      csi.endpoint,
      '--staging-dir',
      join(dir, 'staging'),
      '--target-dir',
      join(dir, 'target'),
      '--test-volume-mutable-parameters',
      join(dir, 'mutable.yaml'),
      '--json',
      json,
    ];
    writeFileSync(join(dir, 'mutable.yaml'), 'tier: gold\n'); // memory-csi's mutable keys are iops and tier
    if (limitCases) args.push('--focus', '^csi\\.identity\\.');
    const t0 = performance.now();
    // Asynchronous: the driver answers from this process's event loop.
    const code = await new Promise<number>((res, rej) => {
      const p = execFile(process.execPath, args, { maxBuffer: 64 << 20 }, (e) =>
        e && typeof e.code !== 'number' ? rej(e) : res(typeof e?.code === 'number' ? e.code : 0),
      );
      p.stdin?.end();
    });
    const wallMs = performance.now() - t0;
    if (!existsSync(json)) throw new Error(`triad conformance csi exited ${code} without writing ${json}`);
    const rep = JSON.parse(readFileSync(json, 'utf8')) as { suites: Array<{ cases: Array<{ durationMs: number; status: string }> }> };
    const cases = rep.suites.flatMap((x) => x.cases);
    const caseMs = cases.reduce((a, c) => a + c.durationMs, 0);
    return {
      wallMs: round(wallMs, 1),
      caseMs: round(caseMs, 1),
      cases: cases.filter((c) => c.status !== 'skipped').length,
      failed: cases.filter((c) => c.status === 'failed').length,
      ratio: ratio(wallMs, caseMs),
    };
  } finally {
    await csi.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `node bin/triad.js --version` (the built CLI) against `node -e 0`, interleaved; and a CSI suite run through the CLI. */
export async function cliStartup(o: { rounds: number; limitCases?: number }): Promise<CliStartup | { skipped: string }> {
  const root = triadRoot();
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) return { skipped: 'dist/ not built (npm run build)' };
  const bin = join(root, 'bin', 'triad.js');
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const { versionMs, nodeMs } = versionTimes(bin, version, o.rounds, process.env);
  const out: CliStartup = { rounds: o.rounds, versionMs, nodeMs, ratio: ratio(versionMs, nodeMs) };
  if (process.env.NODE_EXTRA_CA_CERTS) {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    out.withoutExtraCaCerts = versionTimes(bin, version, o.rounds, env);
  }
  out.csi = await cliCsiRun(bin, o.limitCases);
  return out;
}
