// `triad new cri|csi|cni NAME`: a standalone plugin project that depends on triad. The project's
// files come from the package: templates/common and templates/<kind> (package.json, tsconfig,
// the test, the README, with {{placeholders}}), and the plugin's sources from the example the
// kind's template.json names (examples/plugins/<example>/: *.ts into src/, the rest beside
// package.json), renamed after NAME. The examples are tested in triad's own suite, so a new
// project starts from code that passes its conformance suite.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { triadRoot, triadVersion } from '../interfaces/util/root.js';

export const PLUGIN_KINDS = ['cri', 'csi', 'cni'] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

export interface ScaffoldOptions {
  kind: string;
  /** The project's name: npm package name, and the plugin's own name (runtime, driver, CNI type). */
  name: string;
  /** Where to create it (default: ./NAME). Must not exist, or be an empty directory. */
  dir?: string;
  /** The triad dependency: a version range, a file: path to a tarball, … (default: ^<this version>). */
  triadSpec?: string;
}

export interface Scaffolded {
  dir: string;
  /** Paths relative to dir, sorted. */
  files: string[];
}

/** What a kind's template.json says. */
interface TemplateSpec {
  /** examples/plugins/<example> holds the plugin's sources. */
  example: string;
  /** Text replaced in the example's files, in order ({{name}} is the project's name). */
  rename: Record<string, string>;
}

const NAME = /^[a-z][a-z0-9-]{0,48}[a-z0-9]$/;

export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScaffoldError';
  }
}

/** Checks NAME: a valid npm package name, DNS label (CSI driver names) and executable name (CNI types). */
export function checkName(name: string): string {
  if (!NAME.test(name)) {
    throw new ScaffoldError(
      `NAME ${JSON.stringify(name)} is not valid: use 2-50 lowercase letters, digits and dashes, starting with a letter and not ending with a dash (it names the npm package, the plugin, and its socket)`,
    );
  }
  if (name === 'triad') throw new ScaffoldError('NAME triad is taken: the project depends on the triad package');
  return name;
}

const fill = (text: string, vars: Record<string, string>) => text.replace(/\{\{(\w+)\}\}/g, (m, k: string) => vars[k] ?? m);

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p, base) : [relative(base, p)];
  });
}

/** Every file of the new project, path → content, without touching the disk. */
export function renderProject(opts: ScaffoldOptions): Map<string, string> {
  const kind = opts.kind as PluginKind;
  if (!PLUGIN_KINDS.includes(kind)) throw new ScaffoldError(`unknown plugin kind ${JSON.stringify(opts.kind)}: use one of ${PLUGIN_KINDS.join(', ')}`);
  const name = checkName(opts.name);
  const root = triadRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  const dev = pkg.devDependencies ?? {};
  const vars: Record<string, string> = {
    name,
    kind,
    triadSpec: opts.triadSpec ?? `^${triadVersion()}`,
    // The versions triad itself is built and tested with.
    tsxVersion: dev.tsx ?? '^4.0.0',
    typescriptVersion: dev.typescript ?? '^5.0.0',
    typesNodeVersion: dev['@types/node'] ?? '^20.0.0',
  };
  const templates = join(root, 'templates');
  const spec = JSON.parse(readFileSync(join(templates, kind, 'template.json'), 'utf8')) as TemplateSpec;
  const out = new Map<string, string>();
  for (const dir of [join(templates, 'common'), join(templates, kind)]) {
    for (const rel of walk(dir)) {
      if (rel === 'template.json') continue;
      // npm leaves .gitignore files out of packages: the template keeps it as "gitignore".
      const target = rel === 'gitignore' ? '.gitignore' : rel;
      out.set(target, fill(readFileSync(join(dir, rel), 'utf8'), vars));
    }
  }
  const exampleDir = join(root, 'examples', 'plugins', spec.example);
  const files = readdirSync(exampleDir).filter((f) => statSync(join(exampleDir, f)).isFile());
  const placed = new Map(files.map((f) => [f, f.endsWith('.ts') ? `src/${f}` : f]));
  for (const f of files) {
    let text = readFileSync(join(exampleDir, f), 'utf8');
    // Paths the comments give (`npx tsx examples/plugins/x/main.ts`) become the project's own.
    for (const [from, to] of placed) text = text.split(`examples/plugins/${spec.example}/${from}`).join(to);
    for (const [from, to] of Object.entries(spec.rename)) text = text.split(from).join(fill(to, vars));
    out.set(placed.get(f)!, text);
  }
  return out;
}

/** Writes the project; nothing is overwritten (an existing non-empty directory is an error), and a failed write leaves nothing behind. */
export function scaffold(opts: ScaffoldOptions): Scaffolded {
  const files = renderProject(opts);
  const dir = resolve(opts.dir ?? opts.name);
  let created = false;
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new ScaffoldError(`${dir} exists and is not a directory: nothing written`);
    if (readdirSync(dir).length) throw new ScaffoldError(`${dir} already exists and is not empty: nothing written (choose another --dir)`);
  } else {
    if (!existsSync(dirname(dir))) throw new ScaffoldError(`the parent directory of ${dir} does not exist: nothing written`);
    mkdirSync(dir);
    created = true;
  }
  try {
    for (const [rel, text] of files) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text, { flag: 'wx' });
    }
  } catch (e) {
    if (created) rmSync(dir, { recursive: true, force: true });
    else for (const n of readdirSync(dir)) rmSync(join(dir, n), { recursive: true, force: true });
    throw e;
  }
  return { dir, files: [...files.keys()].sort() };
}

/** The commands printed after `triad new`. */
export function nextSteps(s: Scaffolded): string {
  const rel = relative(process.cwd(), s.dir);
  const where = !rel || rel.startsWith('..') ? s.dir : rel;
  return `created ${basename(s.dir)}: ${s.files.length} files in ${s.dir}\n\n  cd ${/\s/.test(where) ? JSON.stringify(where) : where}\n  npm install\n  npm test\n`;
}
