// triad/conformance: run a conformance suite from code (runConformance) and get typed results
// and the CLI's reporters; below it, the runner and the suite builders for finer control.
export * from './api.js';
export * from './runner/index.js';
export { casesFor, defineCases, type CaseDefaults, type KitCaseDef, type KitClass } from './define.js';
export { csiSuite, csiCases, type CsiSuiteConfig } from './csi/suite.js';
export type { CsiSuiteOptions } from './csi/kit.js';
export { criSuite, criCases } from './cri/suite.js';
export type { CriSuiteOptions } from './cri/kit.js';
export { cniSuite, cniCases } from './cni/suite.js';
export type { CniSuiteOptions } from './cni/kit.js';
export { podSuite, podCases } from './pod/suite.js';
export type { PodSuiteOptions } from './pod/kit.js';
export { getSuite, suites, type RegisteredSuite, type PreparedSuite } from './suites.js';
