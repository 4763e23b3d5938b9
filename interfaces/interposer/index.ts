// The interposer: a gRPC proxy and a CNI shim that put fault rules and a transcript in front of any plugin.
export { startProxy, PROXIED_SERVICES, type ProxyOptions, type RunningProxy } from './proxy.js';
export { parseInterposerRules, RuleSet, type InterposerRule } from './rules.js';
export { readTranscript, Transcript, type TranscriptEntry } from './transcript.js';
export { addShimRules, conflistTypes, installCniShim, shimCalls, shimInProcess, type ShimSettings } from './cni-shim.js';
