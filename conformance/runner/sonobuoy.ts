// Results the way a Sonobuoy worker collects them. The plugin container shares an emptyDir with
// Sonobuoy's worker sidecar at $RESULTS_DIR; the worker waits for $RESULTS_DIR/done, reads the
// path written in it and sends that file to the aggregator, which unpacks a .tar.gz into
// plugins/<plugin>/results/<node>/ and, for `result-format: junit`, reads the XML files in it.
// So: write junit.xml, results.json and report.html, pack them into one tarball, and only then
// write `done` naming it (atomically: the worker polls every second). Also after a failed suite,
// an interrupted run (SIGTERM from the pod's deletion becomes the runner's interrupt) or a setup
// that never got going, so the worker never waits out its timeout for nothing.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tar } from '../../plugins/images/tar.js';
import { jsonText } from './reporters/json.js';
import { junitXml } from './reporters/junit.js';
import { runHtml } from './reporters/html.js';
import { totals } from './runner.js';
import type { CaseResult, Reporter, RunReport } from './types.js';

export const DONE_FILE = 'done';

export interface SonobuoyTarget {
  /** $RESULTS_DIR: the emptyDir the worker sidecar watches. */
  resultsDir: string;
  /** The Kubernetes node name ($NODE_NAME from the downward API), carried into every report. */
  node: string;
  /** Names the tarball: triad-<suite>-results.tar.gz. */
  suite: string;
}

/** Where the results go, from Sonobuoy's environment; a clear error when it is not there. */
export function sonobuoyTarget(suite: string, env: NodeJS.ProcessEnv = process.env, node?: string): SonobuoyTarget {
  const resultsDir = env.RESULTS_DIR || env.SONOBUOY_RESULTS_DIR;
  if (!resultsDir)
    throw new Error('--sonobuoy: RESULTS_DIR is not set (Sonobuoy sets it in the plugin container; set it by hand to try this outside a cluster)');
  return { resultsDir, node: node || env.NODE_NAME || hostname(), suite };
}

/** Write the reports, the tarball and then the done file. Returns the tarball's path. */
export function writeSonobuoyResults(t: SonobuoyTarget, rep: RunReport): string {
  const report: RunReport = { ...rep, node: rep.node ?? t.node };
  mkdirSync(t.resultsDir, { recursive: true });
  const files: Array<[string, string]> = [
    ['junit.xml', junitXml(report)],
    ['results.json', jsonText(report)],
    ['report.html', runHtml(report, `triad conformance on ${t.node}`)],
  ];
  for (const [name, text] of files) writeFileSync(join(t.resultsDir, name), text);
  const tarball = join(t.resultsDir, `triad-${t.suite}-results.tar.gz`);
  writeFileSync(tarball, gzipSync(tar(files.map(([name, text]) => ({ type: 'file' as const, path: name, data: Buffer.from(text) })))));
  const tmp = join(t.resultsDir, `.${DONE_FILE}.tmp`);
  writeFileSync(tmp, tarball);
  renameSync(tmp, join(t.resultsDir, DONE_FILE));
  return tarball;
}

export function sonobuoyReporter(t: SonobuoyTarget): Reporter {
  return {
    end(rep) {
      writeSonobuoyResults(t, rep);
    },
  };
}

/** A run that never started (bad flags, plugin socket missing): one failed setup case, so Sonobuoy shows why. */
export function setupFailureReport(suite: string, error: string, node: string): RunReport {
  const c: CaseResult = {
    suite,
    id: `${suite}.setup`,
    name: 'the suite can be prepared against the plugin',
    group: suite,
    tags: ['Conformance'],
    status: 'failed',
    durationMs: 0,
    failure: { message: error, kind: 'error' },
  };
  const t = totals([c]);
  const now = new Date().toISOString();
  return {
    runId: 'setup',
    prefix: 'triad-setup',
    startedAt: now,
    durationMs: 0,
    interrupted: false,
    node,
    options: { parallel: 1, timeoutMs: 0 },
    suites: [{ name: suite, title: suite, facts: {}, capabilities: [], setupError: error, cases: [c], totals: t, durationMs: 0 }],
    totals: t,
  };
}

/** Under Kubernetes a pod is stopped with SIGTERM: treat it like Ctrl-C (cleanups, reports, done). */
export function sigtermAsInterrupt(): () => void {
  const forward = () => {
    process.emit('SIGINT');
  };
  process.on('SIGTERM', forward);
  return () => process.off('SIGTERM', forward);
}
