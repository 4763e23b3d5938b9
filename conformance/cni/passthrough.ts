// The suite's own helper plugin (type triad-conformance-passthrough), built on the skeleton:
//  - with prevResult, it answers prevResult unchanged (a well-behaved chained plugin);
//  - without, it answers its config's "seed" result (a stand-in first plugin) or an empty one;
//  - with "record": <file>, it appends {verb, containerID, ifName, prevResult} as a JSON line
//    before answering, so a case can see exactly what a plugin in its position was given;
//  - with "addRoutes": [...], it appends those routes to prevResult (a later plugin that
//    changed networking resources, as CHECK must allow).
import { appendFileSync } from 'node:fs';
import { SUPPORTED_VERSIONS, type CmdArgs, type PluginFuncs, type Result } from '../../interfaces/cni/index.js';

export const PASSTHROUGH_TYPE = 'triad-conformance-passthrough';

export interface Recorded {
  verb: string;
  containerID: string;
  ifName: string;
  prevResult?: Result;
  cniVersion: string;
}

function record(a: CmdArgs): void {
  const file = (a.config as { record?: unknown }).record;
  if (typeof file !== 'string' || !file) return;
  const raw = (a.config as { prevResult?: Result }).prevResult;
  const line: Recorded = { verb: a.command, containerID: a.containerID, ifName: a.ifName, prevResult: raw, cniVersion: a.cniVersion };
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

export const passthroughPlugin: PluginFuncs = {
  versions: SUPPORTED_VERSIONS,
  about: 'triad conformance passthrough plugin: records prevResult and passes it on',
  add(a) {
    record(a);
    const raw = (a.config as { prevResult?: Result }).prevResult;
    const addRoutes = (a.config as { addRoutes?: Result['routes'] }).addRoutes;
    if (raw) return { ...raw, cniVersion: a.cniVersion, ...(addRoutes ? { routes: [...(raw.routes ?? []), ...addRoutes] } : {}) };
    const seed = (a.config as { seed?: Result }).seed;
    return seed ? { ...seed, cniVersion: a.cniVersion } : { cniVersion: a.cniVersion };
  },
  check(a) {
    record(a);
  },
  del(a) {
    record(a);
  },
  status(a) {
    record(a);
  },
  gc(a) {
    record(a);
  },
};
