// One error type for every way a CNI call can fail, so callers can switch on `code` (what the
// plugin said, per the spec) or `kind` (how it failed: the plugin answered with an error object,
// crashed, printed garbage, hung, or was never run).
import { cniCodeName, type CniErrorObject, type CniVerb } from './types.js';

export type CniErrorKind =
  | 'plugin' // the plugin printed a spec error object
  | 'exit' // non-zero exit without an error object
  | 'signal' // killed by a signal we did not send
  | 'output' // stdout that is not the JSON we expected
  | 'timeout' // no answer in time; the plugin was killed
  | 'not-found' // no executable for the plugin type
  | 'invalid' // rejected by the library before running anything
  | 'unsupported'; // the verb does not exist in the config's cniVersion

export interface CniErrorInit {
  code: number;
  msg: string;
  details?: string;
  kind?: CniErrorKind;
  plugin?: string;
  verb?: CniVerb;
  stderr?: string;
  exitCode?: number;
  pid?: number;
  cniVersion?: string;
}

/**
 * The code of a failure that is not the plugin's answer (it was never run, hung, crashed or printed
 * no error object): 0 is no code of the spec's, so it never passes for one.
 */
export const NO_PLUGIN_CODE = 0;

export class CniError extends Error {
  readonly code: number;
  readonly msg: string;
  readonly details?: string;
  readonly kind: CniErrorKind;
  readonly plugin?: string;
  readonly verb?: CniVerb;
  readonly stderr?: string;
  readonly exitCode?: number;
  readonly pid?: number;
  readonly cniVersion?: string;

  constructor(init: CniErrorInit) {
    super(describe(init));
    this.name = 'CniError';
    this.code = init.code;
    this.msg = init.msg;
    this.details = init.details;
    this.kind = init.kind ?? 'plugin';
    this.plugin = init.plugin;
    this.verb = init.verb;
    this.stderr = init.stderr;
    this.exitCode = init.exitCode;
    this.pid = init.pid;
    this.cniVersion = init.cniVersion;
  }

  get codeName(): string {
    return cniCodeName(this.code);
  }

  /** The spec's error object, as a plugin prints it. */
  toJSON(): CniErrorObject {
    const o: CniErrorObject = this.cniVersion ? { cniVersion: this.cniVersion, code: this.code, msg: this.msg } : { code: this.code, msg: this.msg };
    if (this.details) o.details = this.details;
    return o;
  }

  /** A copy with the plugin/verb context filled in (errors raised deep down do not know it). */
  withContext(ctx: { plugin?: string; verb?: CniVerb }): CniError {
    return new CniError({ ...this.init(), plugin: this.plugin ?? ctx.plugin, verb: this.verb ?? ctx.verb });
  }

  private init(): CniErrorInit {
    const { code, msg, details, kind, plugin, verb, stderr, exitCode, pid, cniVersion } = this;
    return { code, msg, details, kind, plugin, verb, stderr, exitCode, pid, cniVersion };
  }
}

/** For plugin authors: throw this from a handler to answer with a given spec code. */
export function cniError(code: number, msg: string, details?: string): CniError {
  return new CniError({ code, msg, details });
}

function describe(e: CniErrorInit): string {
  const who = e.plugin ? `CNI plugin ${JSON.stringify(e.plugin)}` : 'CNI';
  const what = e.verb ? `${who} ${e.verb}` : who;
  const kind = e.kind ?? 'plugin';
  let text: string;
  if (kind === 'plugin' || kind === 'invalid' || kind === 'unsupported') {
    text = `${what} failed: ${cniCodeName(e.code)} (${e.code}): ${e.msg}`;
  } else {
    text = `${what} failed: ${e.msg}`;
  }
  if (e.details) text += ` (${e.details})`;
  const err = e.stderr?.trim();
  if (err) text += `; stderr: ${err.length > 2000 ? err.slice(-2000) : err}`;
  return text;
}
