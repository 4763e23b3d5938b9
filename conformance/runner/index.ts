// The conformance runner: define cases and suites against these types, run them with runSuites.
export * from './types.js';
export * from './context.js';
export * from './assert.js';
export * from './runner.js';
export { consoleReporter, printSummary, type ConsoleOptions } from './reporters/console.js';
export { junitReporter, junitXml, xmlEscape } from './reporters/junit.js';
export { tapReporter, tapText } from './reporters/tap.js';
export { jsonReporter, jsonText } from './reporters/json.js';
export { coverageLines, failureLines, failureText } from './reporters/format.js';
export { htmlReporter, runHtml, fleetHtml, fleetMatrix, htmlEscape, type Fleet, type FleetRun, type FleetRow, type FleetCell } from './reporters/html.js';
