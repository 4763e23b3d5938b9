// Output renderings of pods and their timelines: kubectl-style tables, JSON/YAML, describe, and
// the creation timeline as text, JSON, SVG and HTML. Pure functions that return strings.
export * from './format.js';
export * from './qos.js';
export * from './pod-table.js';
export * from './serialize.js';
export * from './describe.js';
export * from './timeline.js';
