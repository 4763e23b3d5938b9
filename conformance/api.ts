// runConformance: one call that builds a suite from typed options, runs it with the runner the CLI
// uses and returns typed results — for a plugin's own tests (uvu, vitest, node:test) to assert
// "0 failed" and print the same report `triad conformance` prints. It wraps the suite builders
// and the runner (conformance/runner, conformance/suites.ts); it adds no behaviour of its own.
import { isAbsolute, resolve } from 'node:path';
import type { CniSuiteOptions } from './cni/kit.js';
import { cniSuite } from './cni/suite.js';
import type { CriSuiteOptions } from './cri/kit.js';
import { criSuite } from './cri/suite.js';
import { csiSuite, type CsiSuiteConfig } from './csi/suite.js';
import type { PodSuiteOptions } from './pod/kit.js';
import { podSuite } from './pod/suite.js';
import {
  consoleReporter,
  jsonReporter,
  junitReporter,
  printSummary,
  runSuites,
  tapReporter,
  type CaseResult,
  type ConsoleOptions,
  type Reporter,
  type RunOptions,
  type RunReport,
  type Suite,
  type SuiteReport,
  type Totals,
} from './runner/index.js';
import { loadConfFile, parseConfList, type NetworkConfigList } from '../interfaces/cni/index.js';
import { loadConfig, parseConfig, type TriadConfig } from '../harness/config/config.js';

export type SuiteName = 'cri' | 'csi' | 'cni' | 'pod';
export const SUITE_NAMES: readonly SuiteName[] = ['cri', 'csi', 'cni', 'pod'];

/** How to run and report, common to every suite (the CLI's --focus, --skip, --parallel, --timeout, --junit, --json, --tap). */
export interface RunSettings {
  /** Only cases whose id, name, [Tag] or rpc:<RPC names> (e.g. rpc:NodePublishVolume) matches. */
  focus?: string | RegExp;
  /** Leave out cases whose id, name, [Tag] or rpc:<RPC names> matches. */
  skip?: string | RegExp;
  /** Cases in flight at once (default 1). */
  parallel?: number;
  /** Per-case timeout, ms (default 30 s): a hung plugin fails that case. */
  timeoutMs?: number;
  /** Print the live report as `triad conformance` does (true: to stdout; or where and how). Default: quiet. */
  console?: boolean | ConsoleOptions;
  /** Write JUnit XML / JSON / TAP reports to these files. */
  junit?: string;
  json?: string;
  tap?: string;
  /** More reporters of your own. */
  reporters?: Reporter[];
  /** Handle SIGINT while running (cleanups first, then the result says interrupted). Default false: a test runner owns its signals. */
  handleSigint?: boolean;
  /** The CLI's --strict, passed to the runner: a failed [Optional] case counts as failed (for runners that tell the two apart). */
  strict?: boolean;
}

/** The CSI suite against a driver: its endpoint (unix:///path, a socket path, or host:port). */
export interface CsiConformanceOptions extends RunSettings, Omit<CsiSuiteConfig, 'timeoutMs'> {
  suite: 'csi';
}

/** The CRI suite against a runtime: `endpoint` is its RuntimeService (and ImageService, unless imageEndpoint). */
export interface CriConformanceOptions extends RunSettings, Omit<CriSuiteOptions, 'runtimeEndpoint' | 'timeoutMs'> {
  suite: 'cri';
  endpoint: string;
}

/** The CNI suite against a plugin executable found in `cniPath`, configured by `config`. */
export interface CniConformanceOptions extends RunSettings, Omit<CniSuiteOptions, 'path' | 'list' | 'pluginIndex'> {
  suite: 'cni';
  /** Directories holding plugin executables (CNI_PATH); may be empty when inProcess serves the plugin. */
  cniPath: string | string[];
  /** The network: a .conflist/.conf file, or the config as an object (a list with `plugins`, or one plugin's config). */
  config: string | Record<string, unknown>;
  /** Which plugin of the list is under test, by type (default: the first). */
  plugin?: string;
}

/** The whole-pod suite through the harness kubelet on the plugins a triad.yaml names. */
export interface PodConformanceOptions extends RunSettings, Omit<PodSuiteOptions, 'config'> {
  suite: 'pod';
  /** A triad.yaml path, its content as an object, or a parsed config (default: every plugin in-memory). */
  config?: string | Record<string, unknown> | TriadConfig;
}

export type ConformanceOptions = CsiConformanceOptions | CriConformanceOptions | CniConformanceOptions | PodConformanceOptions;

/** A case's result, with the spec rule it broke lifted from its failure details. */
export type ConformanceCase = CaseResult & { rule?: string };

export interface ConformanceResult {
  suite: SuiteName;
  /** True when no case failed and the run was not interrupted. */
  ok: boolean;
  totals: Totals;
  /** Every case: id, name, status (passed | failed | skipped | not-applicable), durationMs, reason, failure (rpc, request, status, expected, rule…). */
  cases: ConformanceCase[];
  /** The failed cases only. */
  failed: ConformanceCase[];
  /** The suite's report (facts, capabilities, RPC coverage) and the whole run's. */
  suiteReport: SuiteReport;
  report: RunReport;
  /** The console report as text (what `triad conformance` prints), without colours. */
  text(opts?: { verbose?: boolean }): string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function cniList(config: CniConformanceOptions['config']): NetworkConfigList {
  if (typeof config === 'string') return loadConfFile(resolve(config));
  if (!isObject(config)) throw new Error('runConformance: cni config must be a file path or a network config object');
  return parseConfList(JSON.stringify(config), { source: '(config object)' });
}

function podConfig(config: PodConformanceOptions['config']): TriadConfig {
  if (config === undefined || typeof config === 'string') return loadConfig(config === undefined ? undefined : isAbsolute(config) ? config : resolve(config));
  if (!isObject(config)) throw new Error('runConformance: pod config must be a triad.yaml path or a config object');
  // A parsed TriadConfig (loadConfig, parseConfig) carries its source; a triad.yaml object does not.
  return typeof config.source === 'string' ? (config as unknown as TriadConfig) : parseConfig(config, '(config object)');
}

/** The suite that options name, built the way `triad conformance <suite>` builds it. */
export function buildSuite(opts: ConformanceOptions): Suite<any> {
  switch (opts.suite) {
    case 'csi': {
      const { endpoint, controllerEndpoint, stagingDir, targetDir, parameters, mutableParameters, volumeSize, accessType, unknownNodeId } = opts;
      if (!endpoint) throw new Error("runConformance: csi needs endpoint (the driver's socket: unix:///path, a path, or host:port)");
      return csiSuite({ endpoint, controllerEndpoint, stagingDir, targetDir, parameters, mutableParameters, volumeSize, accessType, unknownNodeId });
    }
    case 'cri': {
      const { endpoint, imageEndpoint, testImages, hostPortAddress, workDir, cgroupParent } = opts;
      if (!endpoint) throw new Error("runConformance: cri needs endpoint (the runtime's socket: unix:///path, a path, or host:port)");
      return criSuite({ runtimeEndpoint: endpoint, imageEndpoint, testImages, hostPortAddress, workDir, cgroupParent });
    }
    case 'cni': {
      const { cniPath, config, plugin, chained, netns, parallelAdds, invalidConfig, inProcess, ipamStateDir } = opts;
      const path = (Array.isArray(cniPath) ? cniPath : [cniPath]).filter(Boolean);
      if (!path.length && !inProcess) throw new Error('runConformance: cni needs cniPath (the directories holding plugin executables) or inProcess plugins');
      if (config === undefined) throw new Error('runConformance: cni needs config (a .conflist file or a network config object)');
      const list = cniList(config);
      const pluginIndex = plugin ? list.plugins.findIndex((p) => p.type === plugin) : 0;
      if (pluginIndex < 0)
        throw new Error(
          `runConformance: plugin ${plugin}: the network ${list.name} has no plugin of that type (it has ${list.plugins.map((p) => p.type).join(', ')})`,
        );
      return cniSuite({ path, list, pluginIndex, chained, netns, parallelAdds, invalidConfig, inProcess, ipamStateDir });
    }
    case 'pod': {
      const { config, stateDir, image, storageClass, ephemeralDriver, cniCacheDir, ipamDir, port } = opts;
      return podSuite({ config: podConfig(config), stateDir, image, storageClass, ephemeralDriver, cniCacheDir, ipamDir, port });
    }
    default:
      throw new Error(`runConformance: unknown suite ${JSON.stringify((opts as { suite?: unknown }).suite)} (known: ${SUITE_NAMES.join(', ')})`);
  }
}

/** Run one conformance suite against a plugin and return its results (it never throws for failed cases: check `ok`). */
export async function runConformance(opts: ConformanceOptions): Promise<ConformanceResult> {
  if (!isObject(opts) || !SUITE_NAMES.includes(opts.suite)) {
    throw new Error(`runConformance: suite must be one of ${SUITE_NAMES.join(', ')} (got ${JSON.stringify((opts as { suite?: unknown })?.suite)})`);
  }
  for (const [k, re] of [
    ['focus', opts.focus],
    ['skip', opts.skip],
  ] as const) {
    if (typeof re === 'string' && re) {
      try {
        new RegExp(re);
      } catch (e) {
        throw new Error(`runConformance: ${k} is not a regular expression: ${(e as Error).message}`);
      }
    }
  }
  const suite = buildSuite(opts);
  const reporters: Reporter[] = [];
  if (opts.console) reporters.push(consoleReporter(opts.console === true ? {} : opts.console));
  if (opts.junit) reporters.push(junitReporter(opts.junit));
  if (opts.json) reporters.push(jsonReporter(opts.json));
  if (opts.tap) reporters.push(tapReporter(opts.tap));
  reporters.push(...(opts.reporters ?? []));
  const runOptions: RunOptions & { strict?: boolean } = {
    focus: opts.focus,
    skip: opts.skip,
    parallel: opts.parallel,
    timeoutMs: opts.timeoutMs,
    reporters,
    handleSigint: opts.handleSigint ?? false,
    exitOnInterrupt: false,
    strict: opts.strict,
  };
  const report = await runSuites([suite], runOptions);
  const suiteReport = report.suites[0];
  const cases: ConformanceCase[] = suiteReport.cases.map((c) => ({ ...c, rule: c.failure?.rule }));
  return {
    suite: opts.suite,
    ok: report.totals.failed === 0 && !report.interrupted,
    totals: report.totals,
    cases,
    failed: cases.filter((c) => c.status === 'failed'),
    suiteReport,
    report,
    text: (o = {}) => reportText(report, o),
  };
}

/** A finished run as the console reporter prints it, without colours. */
export function reportText(report: RunReport, o: { verbose?: boolean } = {}): string {
  let out = '';
  printSummary(report, {
    write: (s) => {
      out += s;
    },
    color: false,
    verbose: o.verbose,
  });
  return out;
}
