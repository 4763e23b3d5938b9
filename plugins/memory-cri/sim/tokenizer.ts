// Shell tokenizer for the simulator: words (with quoting and $-expansions kept as parts, so the
// interpreter can expand them later), operators, and redirections with optional fd numbers.
// Supported: '…', "…", \x, $VAR, ${VAR}, ${VAR:-x}/${VAR-x}/${VAR:+x}/${VAR:=x}/${#VAR}, $?, $$,
// $!, $#, $0-$9, $@, $*, $(…), `…`, $((…)), # comments, ; & && || | ( ) and redirections
// > >> < >& <& &> with fd numbers (2>&1). Not supported: here-documents, case, functions.

export type Part =
  | { t: 'lit'; v: string; q: boolean }
  | { t: 'var'; name: string; q: boolean; op?: string; arg?: Part[] }
  | { t: 'cmd'; src: string; q: boolean }
  | { t: 'arith'; src: string; q: boolean };
export type Word = Part[];

export type Op = ';' | '&&' | '||' | '|' | '&' | '(' | ')' | '\n';
export type RedirOp = '>' | '>>' | '<' | '>&' | '<&' | '&>' | '&>>';
export type Token =
  | { t: 'word'; w: Word; /** The text when the word is one unquoted literal (reserved words). */ raw?: string }
  | { t: 'op'; v: Op }
  | { t: 'redir'; op: RedirOp; fd?: number };

export class ShellSyntaxError extends Error {
  constructor(message: string) {
    super(`syntax error: ${message}`);
    this.name = 'ShellSyntaxError';
  }
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*/;
const SPECIAL = new Set(['?', '$', '!', '#', '@', '*', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** Index just past the ')' matching the '(' at src[open]. */
function matchParen(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === "'") {
      const j = src.indexOf("'", i + 1);
      if (j < 0) break;
      i = j;
      continue;
    }
    if (c === '"') {
      for (i++; i < src.length && src[i] !== '"'; i++) if (src[i] === '\\') i++;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  throw new ShellSyntaxError('unterminated $(');
}

/** Parse a $-expansion at src[i] === '$'. Returns the part (or undefined for a literal $) and the next index. */
function dollar(src: string, i: number, q: boolean): [Part | undefined, number] {
  const next = src[i + 1];
  if (next === '(' && src[i + 2] === '(') {
    const end = matchParen(src, i + 1);
    if (src[end - 2] !== ')') throw new ShellSyntaxError('unterminated $((');
    return [{ t: 'arith', src: src.slice(i + 3, end - 2), q }, end];
  }
  if (next === '(') {
    const end = matchParen(src, i + 1);
    return [{ t: 'cmd', src: src.slice(i + 2, end - 1), q }, end];
  }
  if (next === '{') {
    const close = src.indexOf('}', i + 2);
    if (close < 0) throw new ShellSyntaxError('unterminated ${');
    const body = src.slice(i + 2, close);
    if (body.startsWith('#') && body.length > 1) return [{ t: 'var', name: body.slice(1), q, op: '#' }, close + 1];
    const m = NAME_RE.exec(body) ?? (SPECIAL.has(body[0]) ? [body[0]] : null);
    if (!m) throw new ShellSyntaxError(`bad substitution \${${body}}`);
    const name = m[0];
    const rest = body.slice(name.length);
    if (!rest) return [{ t: 'var', name, q }, close + 1];
    const om = /^(:?[-+=?])/.exec(rest);
    if (!om) throw new ShellSyntaxError(`bad substitution \${${body}}`);
    return [{ t: 'var', name, q, op: om[1], arg: quotedParts(rest.slice(om[1].length), q) }, close + 1];
  }
  const m = NAME_RE.exec(src.slice(i + 1));
  if (m) return [{ t: 'var', name: m[0], q }, i + 1 + m[0].length];
  if (next !== undefined && SPECIAL.has(next)) return [{ t: 'var', name: next, q }, i + 2];
  return [undefined, i + 1];
}

/** Parts of text where only $-expansions and backslashes are special (the word of ${x:-word}). */
function quotedParts(text: string, q: boolean): Part[] {
  const parts: Part[] = [];
  const lit = (v: string) => {
    const last = parts[parts.length - 1];
    if (last?.t === 'lit') last.v += v;
    else parts.push({ t: 'lit', v, q });
  };
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      lit(text[i + 1]);
      i += 2;
      continue;
    }
    if (c === '$') {
      const [p, j] = dollar(text, i, q);
      if (p) parts.push(p);
      else lit('$');
      i = j;
      continue;
    }
    if ((c === '"' || c === "'") && !q) {
      i++;
      continue;
    }
    lit(c);
    i++;
  }
  return parts;
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let word: Part[] | null = null;
  let i = 0;
  const lit = (v: string, q: boolean) => {
    word ??= [];
    const last = word[word.length - 1];
    if (last?.t === 'lit' && last.q === q) last.v += v;
    else word.push({ t: 'lit', v, q });
  };
  const flush = () => {
    if (!word) return;
    const w: Part[] = word;
    word = null;
    const raw = w.length === 1 && w[0].t === 'lit' && !w[0].q ? w[0].v : undefined;
    out.push({ t: 'word', w, raw });
  };
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\r') {
      flush();
      i++;
      continue;
    }
    if (c === '\n') {
      flush();
      out.push({ t: 'op', v: '\n' });
      i++;
      continue;
    }
    if (c === '#' && !word) {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '\\') {
      if (src[i + 1] === '\n') {
        i += 2;
        continue;
      }
      if (i + 1 < src.length) lit(src[i + 1], true);
      i += 2;
      continue;
    }
    if (c === "'") {
      const j = src.indexOf("'", i + 1);
      if (j < 0) throw new ShellSyntaxError('unterminated quoted string');
      lit(src.slice(i + 1, j), true);
      word ??= [];
      i = j + 1;
      continue;
    }
    if (c === '"') {
      word ??= [];
      lit('', true); // "" is an (empty) argument of its own, as '' is
      i++;
      let closed = false;
      while (i < src.length) {
        const d = src[i];
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < src.length) {
          const e = src[i + 1];
          if (e === '\n') {
            i += 2;
            continue;
          }
          lit('$`"\\'.includes(e) ? e : `\\${e}`, true);
          i += 2;
          continue;
        }
        if (d === '$') {
          const [p, j] = dollar(src, i, true);
          if (p) word.push(p);
          else lit('$', true);
          i = j;
          continue;
        }
        if (d === '`') {
          const j = src.indexOf('`', i + 1);
          if (j < 0) throw new ShellSyntaxError('unterminated `');
          word.push({ t: 'cmd', src: src.slice(i + 1, j), q: true });
          i = j + 1;
          continue;
        }
        lit(d, true);
        i++;
      }
      if (!closed) throw new ShellSyntaxError('unterminated quoted string');
      continue;
    }
    if (c === '$') {
      const [p, j] = dollar(src, i, false);
      if (p) (word ??= []).push(p);
      else lit('$', false);
      i = j;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new ShellSyntaxError('unterminated `');
      (word ??= []).push({ t: 'cmd', src: src.slice(i + 1, j), q: false });
      i = j + 1;
      continue;
    }
    if (c === '>' || c === '<') {
      // An all-digit word right before a redirection is its fd: 2>&1, 1>/dev/null.
      let fd: number | undefined;
      const w = word as Part[] | null;
      if (w && w.length === 1 && w[0].t === 'lit' && !w[0].q && /^\d+$/.test(w[0].v)) {
        fd = Number(w[0].v);
        word = null;
      } else flush();
      const two = src.slice(i, i + 2);
      if (two === '<<') throw new ShellSyntaxError('here-documents are not supported by the simulator');
      let op: RedirOp;
      if (two === '>>') op = '>>';
      else if (two === '>&') op = '>&';
      else if (two === '<&') op = '<&';
      else if (two === '>|') op = '>';
      else op = c;
      i += op.length === 2 || two === '>|' ? 2 : 1;
      out.push({ t: 'redir', op, fd });
      continue;
    }
    if (c === '&' || c === '|' || c === ';' || c === '(' || c === ')') {
      flush();
      const two = src.slice(i, i + 2);
      if (two === '&&' || two === '||') {
        out.push({ t: 'op', v: two });
        i += 2;
        continue;
      }
      if (two === ';;') throw new ShellSyntaxError('case is not supported by the simulator');
      if (two === '&>') {
        const three = src.slice(i, i + 3);
        out.push({ t: 'redir', op: three === '&>>' ? '&>>' : '&>' });
        i += three === '&>>' ? 3 : 2;
        continue;
      }
      out.push({ t: 'op', v: c as Op });
      i++;
      continue;
    }
    lit(c, false);
    i++;
  }
  flush();
  return out;
}
