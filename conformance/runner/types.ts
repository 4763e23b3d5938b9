// The shapes every conformance suite is written against: a case (stable id, readable name,
// group, tags, the capabilities it needs, a run function), a suite (cases plus a setup that
// connects to the plugin and discovers what it can do), and the results the runner reports.
import type { CaseContext } from './context.js';

/**
 * [Conformance]: every plugin that has the capabilities the case needs must pass it.
 * [Optional]: checks a SHOULD of the spec or behaviour the spec leaves open; a failure is a
 * warning (status `warned`, exit code 0) unless the run is --strict, which makes it a failure.
 * [Slow]: takes seconds, not milliseconds. [Disruptive]: touches state outside its own
 * resources; runs alone.
 */
export type Tag = 'Conformance' | 'Optional' | 'Slow' | 'Disruptive';

/** `warned`: an [Optional] case that failed in a run that is not --strict. */
export type Status = 'passed' | 'failed' | 'warned' | 'skipped' | 'not-applicable';

export interface CaseDef<E = unknown> {
  /** Stable id: <suite>.<service>.<subject>.<behaviour>, e.g. csi.controller.create-volume.idempotent. */
  id: string;
  /** What is checked, as a sentence. */
  name: string;
  /** Service / area the case belongs to, e.g. "csi.Controller" (JUnit classname). */
  group: string;
  /** The proto RPCs the case exercises ('NodePublishVolume'; CNI: 'ADD'), set by defineCases. */
  rpc?: string[];
  /** Default ['Conformance']. */
  tags?: Tag[];
  /** Capabilities that must all be present (labels the suite's session reports), else not-applicable. */
  needs?: string[];
  /** Further applicability check: a reason the case does not apply to this plugin, or undefined. */
  applies?: (env: E) => string | undefined;
  /**
   * Ids of the spec rules this case checks (conformance/rules/<suite>.yaml); every assertion in
   * the case names one of them. Rule coverage is computed from these.
   */
  rules?: string[];
  /** Per-case timeout override, ms. */
  timeoutMs?: number;
  /** Run alone, with no other case of the run in flight (e.g. pagination while others create volumes). */
  serial?: boolean;
  run(ctx: CaseContext, env: E): Promise<void>;
}

/** What a suite's setup found out about the plugin under test. */
export interface SuiteSession<E = unknown> {
  env: E;
  /** Capability labels, e.g. "controller:LIST_VOLUMES", "cni:version:1.1.0". */
  capabilities: Set<string>;
  /** Facts shown in reports (plugin name, version, endpoint...). */
  facts?: Record<string, string>;
  /** Why a missing capability makes a case not applicable (default: "plugin lacks <cap>"). */
  explain?(capability: string): string;
  /** A reason the environment cannot run this case (root needed, no --staging-dir...): skipped. */
  environment?(c: CaseDef<E>): string | undefined;
  /** Why an RPC was not called (e.g. "UNIMPLEMENTED at setup: …"), shown in the RPC coverage table. */
  rpcNotes?: Record<string, string>;
  /** After every case: resources of this run still present at the plugin (reported as a failing leak-check case). */
  leakCheck?(): Promise<string[]>;
  /** Disconnect; runs even after an interrupt. */
  teardown?(): Promise<void>;
}

export interface RunInfo {
  runId: string;
  /** Every resource a case names starts with this (e.g. "triad-3f9a1c"). */
  prefix: string;
  /** Per-case timeout, ms. */
  timeoutMs: number;
}

export interface Suite<E = unknown> {
  /** Short name: csi, cni, cri, pod. Case ids start with it. */
  name: string;
  title: string;
  cases: CaseDef<E>[];
  setup(run: RunInfo): Promise<SuiteSession<E>>;
  /**
   * Every RPC of the interface under test, named as the cases' recorded calls name them
   * ("RuntimeService/Version"). When set, reports carry an RPC coverage table: which cases
   * called each RPC, what it answered, and which RPCs no case called.
   */
  rpcs?: string[];
}

/** Everything known about a failed expectation; every field is optional but message. */
export interface FailureDetails {
  message: string;
  kind?: 'assertion' | 'timeout' | 'error' | 'cleanup' | 'interrupted';
  /** The spec rule the plugin broke: its text (from the rules file when ruleId is set). */
  rule?: string;
  /** The rule's id in conformance/rules/<suite>.yaml. */
  ruleId?: string;
  /** The call: "Controller/CreateVolume", "CNI ADD triad-memory". */
  rpc?: string;
  request?: unknown;
  /** A successful answer that should not have been. */
  response?: unknown;
  /** An error answer: gRPC code by name, or CNI error code. */
  status?: { code: number | string; name: string; message: string };
  expected?: unknown;
  actual?: unknown;
  stack?: string;
}

export interface CaseResult {
  suite: string;
  id: string;
  name: string;
  group: string;
  tags: Tag[];
  status: Status;
  /** Why it was skipped / not applicable. */
  reason?: string;
  durationMs: number;
  /** The rule ids the case declares. */
  rules?: string[];
  failure?: FailureDetails;
  /** Cleanup steps that failed (a case that otherwise passed is then failed). */
  cleanupErrors?: string[];
  /** ctx.log lines. */
  notes?: string[];
}

/** `warned` counts [Optional] cases that failed without --strict; they do not fail the run. */
export interface Totals {
  passed: number;
  failed: number;
  warned: number;
  skipped: number;
  notApplicable: number;
  total: number;
}

export interface SuiteReport {
  name: string;
  title: string;
  facts: Record<string, string>;
  capabilities: string[];
  /** Set when setup failed: every case is then failed with this. */
  setupError?: string;
  cases: CaseResult[];
  totals: Totals;
  durationMs: number;
  /** Per RPC: calls made by cases, answers by code name, the cases that called it (only for suites that declare rpcs). */
  rpcCoverage?: RpcCoverage[];
}

/** One row of the RPC coverage table. */
export interface RpcCoverage {
  rpc: string;
  /** Calls recorded by cases (ctx.track / the suite's recording clients). */
  calls: number;
  /** Answers by gRPC code name ("OK", "NOT_FOUND", "UNIMPLEMENTED", …). */
  answers: Record<string, number>;
  /** Cases that called it, with their result. */
  cases: Array<{ id: string; status: Status }>;
  /** Cases that declare it (CaseDef.rpc, by proto name): the cases about it, not those that called it on the way. */
  about?: Array<{ id: string; status: Status }>;
  /** Why nobody called it (from the suite's session), when nobody did. */
  note?: string;
}

export interface RunReport {
  runId: string;
  prefix: string;
  startedAt: string;
  durationMs: number;
  interrupted: boolean;
  /** The node the run tested (Kubernetes node name under Sonobuoy), when known. */
  node?: string;
  options: { focus?: string; skip?: string; parallel: number; timeoutMs: number; strict?: boolean };
  suites: SuiteReport[];
  totals: Totals;
}

/** Live progress and final output. */
export interface Reporter {
  suiteStart?(suite: Suite<any>, session: { facts: Record<string, string>; capabilities: string[] } | undefined, planned: number): void;
  caseStart?(suite: string, c: CaseDef<any>): void;
  caseEnd?(result: CaseResult): void;
  suiteEnd?(report: SuiteReport): void;
  /** Called once with the whole run (write files here). */
  end?(report: RunReport): void | Promise<void>;
}

/** Define a case with its env type inferred (identity; for editor help). */
export const defineCase = <E>(c: CaseDef<E>): CaseDef<E> => c;
