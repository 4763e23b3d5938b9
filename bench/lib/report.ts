// The result as text tables for stdout.
import { isSkipped, type BenchResults, type Target } from './results.js';
import { isSkip } from './suites.js';

/** Columns right-aligned after the first, or all left-aligned (text columns). */
export function table(head: string[], rows: Array<Array<string | number>>, indent = '  ', left = false): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    indent +
    r
      .map((c, i) => (i === 0 || left ? c.padEnd(w[i]) : c.padStart(w[i])))
      .join('  ')
      .trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...cells.slice(1).map(line)].join('\n') + '\n';
}

const f = (x: number, d = 1) => x.toFixed(d);
const s = (ms: number) => (ms / 1000).toFixed(1);

export function textReport(r: BenchResults): string {
  const m = r.machine;
  let out = `triad bench${r.quick ? ' (quick: smoke counts, figures meaningless)' : ''} — ${m.cpus} CPU ${m.cpuModel}, node ${m.node}, load ${m.loadavgStart.map((x) => x.toFixed(1)).join('/')} → ${m.loadavgEnd.map((x) => x.toFixed(1)).join('/')}\n`;
  out += `command: ${r.command}   (${s(r.durationMs)} s)\n`;
  out += `state dirs under ${m.fs.stateRoot} (a new file costs ${m.fs.createUs} µs CPU there; ${m.fs.osTmpdirCreateUs} µs under ${m.fs.osTmpdir})\n\n`;

  if (r.overhead) {
    out += "Harness overhead, in-memory plugins: floor = the pod's CRI calls on a warm connection; triad = the harness kubelet\n";
    if (isSkipped(r.overhead)) out += `  skipped: ${r.overhead.skipped}\n\n`;
    else {
      const p0 = r.overhead.memory[0];
      out += `  (${p0?.rounds ?? 0} interleaved rounds per concurrency; ratio = median over rounds of triad/floor pods/s; a triad round lasts until\n   its kubelet has also handled the runtime's events for those pods; CPU = this process, the in-process plugin included)\n`;
      out += table(
        [
          'conc',
          'pods/round',
          'floor pods/s',
          'triad pods/s',
          'ratio',
          'CPU ms/pod floor',
          'triad',
          'floor p50',
          'floor p99',
          'triad p50',
          'triad p99',
          'RPCs/pod floor',
          'triad',
        ],
        r.overhead.memory.map((p) => [
          p.concurrency,
          p.podsPerRound,
          f(p.floor.podsPerSec),
          f(p.triad.podsPerSec),
          f(p.ratio.throughput, 2),
          f(p.floor.cpuMsPerPod, 2),
          f(p.triad.cpuMsPerPod, 2),
          `${f(p.floor.latencyMs.p50, 2)} ms`,
          `${f(p.floor.latencyMs.p99, 2)} ms`,
          `${f(p.triad.latencyMs.p50, 2)} ms`,
          `${f(p.triad.latencyMs.p99, 2)} ms`,
          f(p.floor.rpcsPerPod, 2),
          f(p.triad.rpcsPerPod, 2),
        ]),
      );
      for (const p of r.overhead.memory) {
        out += `  c=${p.concurrency}: gRPC alone (an empty Version RPC, same connection): ${p.rpc.rpcPerSec} RPC/s, ${p.rpc.cpuUsPerRpc} µs CPU each → at most ${f(p.rpc.podsPerSecCeiling)} pods/s for any CRI client at ${f(p.floor.rpcsPerPod, 0)} RPCs/pod\n`;
      }
      out += '\n';
    }
  }
  if (r.proxy) {
    out += 'Interposer (triad proxy) in front of memory-cri: µs per call, one call in flight, the three sides interleaved call by call\n';
    out += table(
      ['calls', 'n', 'direct p50', 'mean', 'proxied p50', 'mean', 'ratio', '+µs', 'recorded p50', 'mean', 'ratio', '+µs'],
      r.proxy.kinds.map((k) => [
        k.kind,
        k.calls,
        f(k.direct.latencyUs.p50, 0),
        f(k.direct.latencyUs.mean, 0),
        f(k.proxied.latencyUs.p50, 0),
        f(k.proxied.latencyUs.mean, 0),
        f(k.ratio.mean, 2),
        f(k.addedUs.proxied, 0),
        f(k.recorded.latencyUs.p50, 0),
        f(k.recorded.latencyUs.mean, 0),
        f(k.ratio.recordedMean, 2),
        f(k.addedUs.recorded, 0),
      ]),
    );
    out += `  (ratio = mean per call through the proxy / straight; pod = RunPodSandbox, PodSandboxStatus, StopPodSandbox, RemovePodSandbox; transcript ${r.proxy.transcriptBytesPerCall} B per call)\n\n`;
  }
  if (r.fuzz) {
    const z = r.fuzz;
    out += `Fuzzer (triad fuzz csi) against memory-csi, ${z.seconds} s each side\n`;
    out += table(
      ['side', 'calls', 'calls/s'],
      [
        ['fuzz (generation, mutation, oracles, leak checks)', z.fuzz.calls, f(z.fuzz.callsPerSec, 1)],
        ['plain CreateVolume/DeleteVolume loop', z.floor.calls, f(z.floor.callsPerSec, 1)],
      ],
    );
    out += `  (ratio fuzz / plain loop: ${f(z.ratio, 2)}; ${z.fuzz.runs} fuzz runs)\n\n`;
  }
  if (r.reference) {
    out += 'Harness overhead, containerd + bridge (reference stack): one pod at a time, alternating sides\n';
    if (isSkipped(r.reference)) out += `  skipped: ${r.reference.skipped}\n\n`;
    else {
      const p = r.reference.paired;
      out += table(
        ['side', 'pods', 'mean', 'p50', 'p99', 'pods/s'],
        [
          ['floor', p.pods, `${f(p.floor.latencyMs.mean)} ms`, `${f(p.floor.latencyMs.p50)} ms`, `${f(p.floor.latencyMs.p99)} ms`, f(p.floor.podsPerSec, 2)],
          ['triad', p.pods, `${f(p.triad.latencyMs.mean)} ms`, `${f(p.triad.latencyMs.p50)} ms`, `${f(p.triad.latencyMs.p99)} ms`, f(p.triad.podsPerSec, 2)],
          ['triad/floor', '', f(p.ratio.mean, 3), f(p.ratio.p50, 3), f(p.ratio.p99, 3), ''],
        ],
      );
      const c = r.reference.concurrent;
      if (c)
        out += table(
          ['conc', 'floor pods/s', 'triad pods/s', 'ratio', 'floor p50', 'triad p50'],
          [
            [
              c.concurrency,
              f(c.floor.podsPerSec),
              f(c.triad.podsPerSec),
              f(c.ratio.throughput, 2),
              `${f(c.floor.latencyMs.p50)} ms`,
              `${f(c.triad.latencyMs.p50)} ms`,
            ],
          ],
        );
      out += '\n';
    }
  }
  if (r.scale) {
    out += 'Scale: N pods started 32 at a time and kept running, then deleted\n';
    const runs = [...r.scale.runs, ...(r.scale.big ? [r.scale.big] : []), ...(Array.isArray(r.scale.reference) ? r.scale.reference : [])];
    out += table(
      [
        'backend',
        'side',
        'pods',
        'wall',
        'of it settling',
        'pods/s',
        'ms/pod',
        'last/first bucket',
        'delete',
        'RSS running',
        'peak RSS',
        'heap/pod',
        'left/pod after delete',
      ],
      runs.map((x) => [
        x.backend,
        x.driver,
        x.pods,
        `${s(x.wallMs)} s`,
        `${s(x.settleMs)} s`,
        f(x.podsPerSec),
        f(x.msPerPod, 3),
        f(x.lastOverFirst, 2),
        `${s(x.deleteWallMs)} s`,
        `${f(x.memory.running.rssMiB)} MiB`,
        `${f(x.memory.peakRssMiB)} MiB`,
        `${x.heapPerPodBytes} B`,
        `${x.retainedPerPodBytes} B`,
      ]),
    );
    for (const x of runs) out += `  ${x.backend} ${x.driver} ${x.pods}: ms/pod per ${x.bucketSize} pods: ${x.buckets.map((b) => f(b, 2)).join(' ')}\n`;
    if (isSkipped(r.scale.reference)) out += `  containerd: skipped: ${r.scale.reference.skipped}\n`;
    for (const c of r.scale.churn)
      out += `  churn ${c.backend} ${c.driver}: ${c.heapAfterCycleMiB.length} cycles of ${c.podsPerCycle} pods, heap after each: ${c.heapAfterCycleMiB.map((h) => `${f(h)}`).join(', ')} MiB (${c.growthPerPodBytes} B/pod growth)\n`;
    out += '\n';
  }
  if (r.suites) {
    out += `Conformance suite speed (serial, and --parallel ${r.suites.parallel})\n`;
    out += table(
      ['suite', 'target', 'parallel', 'wall', 'cases', 'passed', 'failed', 'skipped', 'n/a', 'note'],
      r.suites.runs.map((x) =>
        isSkip(x)
          ? [x.suite, x.target, '-', '-', '-', '-', '-', '-', '-', `skipped: ${x.reason}`]
          : [
              x.suite,
              x.target,
              x.parallel,
              `${s(x.wallMs)} s`,
              x.cases.total,
              x.cases.passed,
              x.cases.failed,
              x.cases.skipped,
              x.cases.notApplicable,
              x.error ?? '',
            ],
      ),
    );
    out += '\n';
  }
  if (r.startup) {
    const { cni, cli } = r.startup;
    out += `Start-up (${cni.rounds} interleaved rounds, medians; a verb is one process)\n`;
    const rows: Array<Array<string | number>> = [
      ['memory-cni', f(cni.memory.addMs), f(cni.memory.delMs), f(cni.memory.perVerbMs), cni.ratio ? f(cni.ratio.memory, 2) : '-'],
      ['cni-static example', f(cni.static.addMs), f(cni.static.delMs), f(cni.static.perVerbMs), cni.ratio ? f(cni.ratio.static, 2) : '-'],
    ];
    if (cni.bridge) rows.push(['bridge + host-local (Go)', f(cni.bridge.addMs), f(cni.bridge.delMs), f(cni.bridge.perVerbMs), '1.00']);
    out += table(['CNI plugin', 'ADD ms', 'DEL ms', 'per verb ms', 'over bridge'], rows);
    if (cni.bridgeSkipped) out += `  bridge: skipped: ${cni.bridgeSkipped}\n`;
    out += `  node -e 0 in the same rounds: ${f(cni.nodeMs)} ms (Node's own start: no Node plugin verb is faster)\n`;
    if (isSkipped(cli)) out += `  triad --version: skipped: ${cli.skipped}\n`;
    else {
      out += `  triad --version: ${f(cli.versionMs)} ms (node -e 0: ${f(cli.nodeMs)} ms; ${f(cli.ratio, 2)}×)`;
      const w = cli.withoutExtraCaCerts;
      out += w ? `; without NODE_EXTRA_CA_CERTS (Node loads that CA bundle at every start): ${f(w.versionMs)} ms (node -e 0: ${f(w.nodeMs)} ms)\n` : '\n';
      if (cli.csi)
        out += `  triad conformance csi against memory-csi: ${s(cli.csi.wallMs)} s wall, ${s(cli.csi.caseMs)} s in its ${cli.csi.cases} cases (${f(cli.csi.ratio, 2)}×)${cli.csi.failed ? `, ${cli.csi.failed} failed` : ''}\n`;
    }
    out += '\n';
  }
  for (const [k, v] of Object.entries(r.errors)) out += `ERROR in ${k}: ${v}\n`;
  const la = (x: number[]) => x.map((v) => v.toFixed(1)).join('/');
  out += `Goals of the performance work, each a ratio measured in this run (load average 1/5/15 min: ${la(m.loadavgStart)} at the start, ${la(m.loadavgEnd)} at the end, on ${m.cpus} CPUs shared with other jobs)\n`;
  const mark = (t: Target) => (t.met === null ? '-' : t.met ? 'met' : 'MISSED');
  for (const name of [...new Set(r.targets.map((t) => t.name ?? ''))]) {
    out += `${name}\n`;
    out += table(
      ['', 'figure', 'bound', 'this run'],
      r.targets.filter((t) => (t.name ?? '') === name).map((t) => [mark(t), t.what, t.goal, t.value]),
      '  ',
      true,
    );
  }
  return out;
}
