// Fault injection, so a harness can make this plugin fail, stall or hang on purpose:
//   "faults": [{"verb": "ADD", "container": "<id or regex>", "fail": {"code": 11, "msg": "..."},
//               "delayMs": 500, "hang": true}]
// Every rule matching the verb (and container, when given: a full-match regex, so a plain ID
// matches itself) applies in order, before the plugin does anything.
import { cniError, CniErrorCode } from '../../interfaces/cni/index.js';

export interface FaultRule {
  verb: string;
  container?: string;
  fail?: { code: number; msg: string; details?: string };
  delayMs?: number;
  hang?: boolean;
}

export function parseFaults(raw: unknown): FaultRule[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw cniError(CniErrorCode.InvalidNetworkConfig, 'faults must be an array');
  return raw.map((r, i) => {
    const at = `faults[${i}]`;
    if (typeof r !== 'object' || r === null) throw cniError(CniErrorCode.InvalidNetworkConfig, `${at} must be an object`);
    const f = r as FaultRule;
    if (typeof f.verb !== 'string' || !f.verb) throw cniError(CniErrorCode.InvalidNetworkConfig, `${at}.verb is required`);
    if (f.container !== undefined && typeof f.container !== 'string') throw cniError(CniErrorCode.InvalidNetworkConfig, `${at}.container must be a string`);
    if (f.fail !== undefined && !(Number.isInteger(f.fail?.code) && typeof f.fail?.msg === 'string'))
      throw cniError(CniErrorCode.InvalidNetworkConfig, `${at}.fail needs an integer code and a msg`);
    if (f.delayMs !== undefined && !(Number.isFinite(f.delayMs) && f.delayMs >= 0))
      throw cniError(CniErrorCode.InvalidNetworkConfig, `${at}.delayMs must be a non-negative number`);
    return f;
  });
}

function matchesContainer(pattern: string, id: string): boolean {
  if (pattern === id) return true;
  try {
    return new RegExp(`^(?:${pattern})$`).test(id);
  } catch {
    return false; // not a regex: it was a literal ID, and it did not match
  }
}

export interface FaultOptions {
  /** Keep the process alive while hanging (an exec'd plugin); in-process callers must not leak a live timer. */
  keepAlive?: boolean;
}

export async function applyFaults(rules: FaultRule[], verb: string, containerID: string, opts: FaultOptions = {}): Promise<void> {
  for (const r of rules) {
    if (r.verb.toUpperCase() !== verb) continue;
    if (r.container !== undefined && !matchesContainer(r.container, containerID)) continue;
    if (r.delayMs) await new Promise((res) => setTimeout(res, r.delayMs));
    if (r.hang) {
      await new Promise<never>(() => {
        const t = setInterval(() => {}, 1 << 30);
        if (!opts.keepAlive) t.unref();
      });
    }
    if (r.fail) throw cniError(r.fail.code, r.fail.msg, r.fail.details);
  }
}
