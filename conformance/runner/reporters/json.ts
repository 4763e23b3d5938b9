// The whole run as JSON (bigints as strings): totals, and per suite its facts, capabilities and
// every case with status, reason and failure details.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { toJson } from '../assert.js';
import type { Reporter, RunReport } from '../types.js';

export const jsonText = (rep: RunReport) => `${toJson({ format: 'triad-conformance/v1', ...rep }, 2)}\n`;

export function jsonReporter(file: string): Reporter {
  return {
    end(rep) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, jsonText(rep));
    },
  };
}
