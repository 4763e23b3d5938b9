// Field errors worded the way the API server words them (k8s.io/apimachinery/pkg/util/validation/field),
// so `triad` prints what `kubectl apply` would print for the same manifest, and ManifestError: every
// error of an object (or of every object of a file) in one exception, naming the source file.

/** One problem with a manifest. `message` is the whole line as kubectl shows it, path included. */
export interface FieldError {
  /** Field path as the API server writes it, e.g. `spec.containers[1].name`; '' for a whole document. */
  path: string;
  message: string;
  /** The object it belongs to, as kubectl names it in "The Pod "web" is invalid": `Pod "web"`. */
  object?: string;
  /** 1-based document number in a multi-document file (with `items[N]` for a List item). */
  where?: string;
  /** The file, when it differs from the ManifestError's (errors of several files together). */
  source?: string;
  /** 1-based position in the source text (YAML/JSON syntax errors). */
  line?: number;
  column?: number;
}

// ---- field paths ----

export const child = (path: string, name: string): string => (path ? `${path}.${name}` : name);
export const index = (path: string, i: number): string => `${path}[${i}]`;
export const key = (path: string, k: string): string => `${path}[${k}]`;

// ---- value formatting: what Go's %q / %v / %#v print for the bad value ----

export function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return `[]string{${v.map((x) => JSON.stringify(x)).join(', ')}}`;
  return JSON.stringify(v);
}

// ---- constructors, one per field.ErrorType ----

const line = (path: string, body: string): FieldError => ({ path, message: path ? `${path}: ${body}` : body });
const withDetail = (body: string, detail?: string) => (detail ? `${body}: ${detail}` : body);

export const required = (path: string, detail?: string) => line(path, withDetail('Required value', detail));
export const invalid = (path: string, value: unknown, detail: string) => line(path, withDetail(`Invalid value: ${goValue(value)}`, detail));
export const notSupported = (path: string, value: unknown, valid: readonly string[]) =>
  line(path, withDetail(`Unsupported value: ${goValue(value)}`, valid.length ? `supported values: ${valid.map((x) => JSON.stringify(x)).join(', ')}` : ''));
export const duplicate = (path: string, value: unknown) => line(path, `Duplicate value: ${goValue(value)}`);
export const notFound = (path: string, value: unknown) => line(path, `Not found: ${goValue(value)}`);
export const forbidden = (path: string, detail: string) => line(path, withDetail('Forbidden', detail));
export const tooLong = (path: string, max: number) => line(path, `Too long: may not be more than ${max} bytes`);
export const tooMany = (path: string, actual: number, max: number) => line(path, `Too many: ${actual}: must have at most ${max} items`);
/** kubectl's strict decoding error for a field the schema does not have. */
export const unknownField = (path: string): FieldError => ({ path, message: `unknown field "${path}"` });

// ---- the exception ----

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  readonly errors: FieldError[];
  readonly source?: string;

  constructor(source: string | undefined, errors: FieldError[]) {
    super(formatErrors(source, errors));
    this.source = source;
    this.errors = errors;
  }
}

/**
 * kubectl's layout: `The Pod "web" is invalid: <one error>` or, for several, a `* ` bullet per
 * error; each object's block is prefixed with the file (and line or document where known).
 */
export function formatErrors(source: string | undefined, errors: FieldError[]): string {
  const groups: { head: string; object?: string; lines: string[] }[] = [];
  for (const e of errors) {
    let loc = e.source ?? source ?? '';
    if (e.line !== undefined) loc += `:${e.line}${e.column !== undefined ? `:${e.column}` : ''}`;
    if (e.where) loc += loc ? ` (${e.where})` : e.where;
    const last = groups[groups.length - 1];
    if (e.object && last && last.head === loc && last.object === e.object) {
      last.lines.push(e.message);
      continue;
    }
    groups.push({ head: loc, object: e.object, lines: [e.message] });
  }
  return groups
    .map((g) => {
      const prefix = g.head ? `${g.head}: ` : '';
      if (!g.object) return g.lines.map((l) => prefix + l).join('\n');
      const what = `${prefix}The ${g.object} is invalid:`;
      return g.lines.length === 1 ? `${what} ${g.lines[0]}` : `${what}\n${g.lines.map((l) => `* ${l}`).join('\n')}`;
    })
    .join('\n');
}
