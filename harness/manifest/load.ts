// Reading manifests as `kubectl apply -f` does: YAML or JSON, one or many documents per file
// (`---`, or concatenated JSON objects), `kind: List` with `items`, directories (every *.yaml,
// *.yml and *.json in name order). Each object is validated (all errors of all objects reported
// together, naming the file and line or document) and then defaulted as the API server would.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from '../api/types.js';
import { applyDefaults } from './defaults.js';
import { ManifestError, type FieldError } from './errors.js';
import { checkKind, recordOrigin, stripNulls, validateManifest } from './validate.js';

interface RawDocument {
  value: unknown;
  /** 1-based document number in the file. */
  n: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function syntaxError(message: string, line?: number, column?: number): FieldError {
  return { path: '', message, line, column };
}

/** YAML 1.1 (what kubectl's YAML decoder reads), with timestamps left as strings. */
function yamlDocuments(text: string): { docs: RawDocument[]; errors: FieldError[] } {
  const docs: RawDocument[] = [];
  const errors: FieldError[] = [];
  const parsed = parseAllDocuments(text, {
    version: '1.1',
    uniqueKeys: true,
    customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp'),
  });
  const list = Array.isArray(parsed) ? parsed : [];
  list.forEach((doc, i) => {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      errors.push(syntaxError(`YAML syntax error: ${e.message.split(/ at line \d+, column \d+/)[0]}`, pos?.line, pos?.col));
    }
    if (doc.errors.length) return;
    const value = doc.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) docs.push({ value, n: i + 1 });
  });
  return { docs, errors };
}

function lineCol(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

/** One JSON object, or several concatenated (a JSON stream, as kubectl accepts). */
function jsonDocuments(text: string): { docs: RawDocument[]; error?: FieldError } {
  const docs: RawDocument[] = [];
  let offset = 0;
  while (text.slice(offset).trim()) {
    const rest = text.slice(offset);
    try {
      docs.push({ value: JSON.parse(rest), n: docs.length + 1 });
      break;
    } catch (e) {
      const msg = (e as Error).message;
      const after = /Unexpected non-whitespace character after JSON at position (\d+)/.exec(msg);
      if (after) {
        const end = Number(after[1]);
        try {
          docs.push({ value: JSON.parse(rest.slice(0, end)), n: docs.length + 1 });
        } catch {
          /* reported below */
        }
        if (docs.length && end > 0) {
          offset += end;
          continue;
        }
      }
      const at = /at position (\d+)/.exec(msg);
      const pos = at
        ? lineCol(text, offset + Number(at[1]))
        : /Unexpected end of JSON input/.test(msg)
          ? lineCol(text.trimEnd(), text.trimEnd().length)
          : undefined;
      return { docs, error: syntaxError(`JSON syntax error: ${msg.replace(/ in JSON at position \d+.*$/, '')}`, pos?.line, pos?.column) };
    }
  }
  return { docs };
}

function readDocuments(text: string, source: string): RawDocument[] {
  if (/^\s*\{/.test(text)) {
    const json = jsonDocuments(text);
    if (!json.error) return json.docs;
    // a .json file is JSON; anything else may still be YAML written as a flow mapping
    if (/\.json$/i.test(source)) throw new ManifestError(source, [json.error]);
    const yaml = yamlDocuments(text);
    if (yaml.errors.length === 0) return yaml.docs;
    throw new ManifestError(source, [json.error.line !== undefined ? json.error : yaml.errors[0]]);
  }
  const yaml = yamlDocuments(text);
  if (yaml.errors.length) throw new ManifestError(source, yaml.errors);
  return yaml.docs;
}

interface Item {
  value: unknown;
  where: string;
  kindWhere: string;
}

/** Documents → objects, `kind: List` expanded into its items. */
function items(docs: RawDocument[], errors: FieldError[]): Item[] {
  const multi = docs.length > 1;
  const out: Item[] = [];
  for (const d of docs) {
    const docWhere = `document ${d.n}`;
    const v = d.value;
    if (isObj(v) && typeof v.kind === 'string' && v.kind.endsWith('List') && 'items' in v) {
      if (v.apiVersion !== 'v1') {
        errors.push({
          path: 'apiVersion',
          message: `no matches for kind ${JSON.stringify(v.kind)} in version ${JSON.stringify(v.apiVersion)}`,
          where: docWhere,
        });
        continue;
      }
      if (!Array.isArray(v.items)) {
        errors.push({ path: 'items', message: `items: Invalid value: ${JSON.stringify(v.items)}: must be an array`, where: docWhere });
        continue;
      }
      v.items.forEach((item, i) => {
        const w = `${multi ? `${docWhere}, ` : ''}items[${i}]`;
        out.push({ value: item, where: w, kindWhere: `${docWhere}, items[${i}]` });
      });
    } else out.push({ value: v, where: multi ? docWhere : '', kindWhere: docWhere });
  }
  return out;
}

interface Parsed {
  manifests: Manifest[];
  errors: FieldError[];
}

function parse(text: string, source: string): Parsed {
  const errors: FieldError[] = [];
  let docs: RawDocument[];
  try {
    docs = readDocuments(text, source);
  } catch (e) {
    if (e instanceof ManifestError) return { manifests: [], errors: e.errors.map((x) => ({ ...x, source })) };
    throw e;
  }
  const manifests: Manifest[] = [];
  for (const it of items(docs, errors)) {
    const kindError = checkKind(it.value);
    if (kindError) {
      errors.push({ ...kindError, where: it.kindWhere });
      continue;
    }
    const m = stripNulls(it.value) as Manifest;
    recordOrigin(m, source, it.where || undefined);
    try {
      validateManifest(m, source);
      manifests.push(m);
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      errors.push(...e.errors);
    }
  }
  return { manifests, errors: errors.map((x) => ({ ...x, source: x.source ?? source })) };
}

const plural = { Pod: 'pods', PersistentVolumeClaim: 'persistentvolumeclaims' } as const;

/** The same object twice would be an AlreadyExists on the second create. */
function duplicates(list: { m: Manifest; source: string }[]): FieldError[] {
  const seen = new Map<string, string>();
  const errors: FieldError[] = [];
  for (const { m, source } of list) {
    const ns = m.metadata.namespace || 'default';
    const k = `${m.kind}/${ns}/${m.metadata.name}`;
    const prev = seen.get(k);
    if (prev !== undefined) {
      errors.push({
        path: 'metadata.name',
        source,
        message: `${plural[m.kind]} "${m.metadata.name}" already exists in namespace "${ns}": defined twice (first in ${prev})`,
      });
    } else seen.set(k, source);
  }
  return errors;
}

/**
 * Parse, validate and default the manifests of one text (a file's content). Throws a ManifestError
 * listing every error of every object in it (syntax errors with their line).
 */
export function parseManifests(text: string, source: string): Manifest[] {
  const { manifests, errors } = parse(text, source);
  errors.push(...duplicates(manifests.map((m) => ({ m, source }))));
  if (errors.length) throw new ManifestError(source, errors);
  return manifests.map((m) => applyDefaults(m));
}

/** Files, and directories (their *.yaml, *.yml and *.json, in name order); `-` is stdin. */
export function manifestFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      files.push(p);
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new ManifestError(undefined, [{ path: '', message: `the path "${p}" does not exist` }]);
    }
    if (st.isDirectory()) {
      files.push(
        ...readdirSync(p)
          .filter((f) => /\.(ya?ml|json)$/i.test(f) && !f.startsWith('.'))
          .sort()
          .map((f) => join(p, f)),
      );
    } else files.push(p);
  }
  return files;
}

/**
 * Load manifests from files and directories: every object validated (errors of all files thrown
 * together as one ManifestError) and defaulted. Warnings are not printed here: validateManifest(m)
 * returns them for each loaded manifest.
 */
export function loadManifests(paths: string[]): Manifest[] {
  const all: { m: Manifest; source: string }[] = [];
  const errors: FieldError[] = [];
  for (const file of manifestFiles(paths)) {
    const source = file === '-' ? '<stdin>' : file;
    const text = readFileSync(file === '-' ? 0 : file, 'utf8');
    const r = parse(text, source);
    errors.push(...r.errors);
    all.push(...r.manifests.map((m) => ({ m, source })));
  }
  errors.push(...duplicates(all));
  if (errors.length) throw new ManifestError(errors[0].source, errors);
  return all.map(({ m }) => applyDefaults(m));
}
