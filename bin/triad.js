#!/usr/bin/env node
// The triad CLI. Runs the compiled code in dist/ (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';
const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('triad: not built yet (dist/ is missing): run `npm run build` in the triad checkout');
  process.exit(2);
}
await import(main.href);
