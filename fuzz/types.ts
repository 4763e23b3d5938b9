// The fuzzer's shared shapes: a step (one call, as JSON so it can be written to a replay file),
// what a call came back with, and a finding (an oracle's verdict on a call).
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Step {
  /** CRI/CSI: "Service/Method" (e.g. "Controller/CreateVolume"); CNI: the verb (ADD, DEL, CHECK, VERSION). */
  rpc: string;
  /** The request in proto3 JSON form (CRI/CSI) or {env, stdin} (CNI). Strings "$name" are bound ids. */
  req: Json;
  /** Remember the id this call creates under this name. */
  bind?: string;
  /** What was done to make the request bad, in words ("volumeId removed", ...); absent: a valid call. */
  mutations?: string[];
  /** Send the same call this many times at once (concurrent calls on one object). */
  concurrent?: number;
  /** CNI: what the spec says of this bent call: fail (with expectRule/expectWhy), code 1, or fail while another container holds the interface. */
  expect?: 'fail' | 'incompatible' | 'clash';
  expectRule?: string;
  expectWhy?: string;
}

export type OracleName =
  | 'plugin-died' // the process or its connection went away
  | 'deadline' // no answer within the per-call deadline
  | 'wrong-code' // the spec names a code for this input and the answer has another (INTERNAL/UNKNOWN/OK)
  | 'missing-field' // an OK answer lacks a field the spec requires
  | 'wrong-answer' // an OK answer contradicts what the calls so far established (state, ids, filters, exit codes)
  | 'leak-after-delete' // the resource is still listed after its delete succeeded
  | 'write-outside-root' // a hostPath driver wrote outside its root and the paths it was given
  | 'bad-output'; // CNI: output that is not the JSON the spec prescribes

export interface Finding {
  oracle: OracleName;
  /** The RPC (or CNI verb) whose answer broke the rule. */
  rpc: string;
  /** Index of that step in the sequence. */
  step: number;
  rule?: { id: string; says: string };
  /** What was seen, in one sentence. */
  message: string;
}

/** One executed sequence. */
export interface Execution {
  findings: Finding[];
  calls: number;
  /** What the run touched ("RPC|CODE" pairs, CNI "VERB|exit"): new ones keep the sequence in the corpus. */
  signal?: string[];
}

/** A plugin under test: it runs sequences and judges them. */
export interface Target {
  kind: 'cri' | 'csi' | 'cni';
  /** One sequence of calls for run number `run`, from `rng`. */
  generate(rng: import('./rng.js').Rng, run: number): Step[];
  /** Run the steps in order (cleaning up what they created), return what the oracles found. */
  execute(steps: Step[]): Promise<Execution>;
  /** Whether the plugin still answers (after a plugin-died finding nothing more can be learned). */
  alive(): Promise<boolean>;
  close(): Promise<void>;
}
