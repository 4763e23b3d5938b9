// Recursive-descent parser for the simulator's shell subset:
//   list     := and_or ((';' | '&' | NL) and_or)*
//   and_or   := pipeline (('&&' | '||') NL* pipeline)*
//   pipeline := ['!'] command ('|' NL* command)*
//   command  := simple | while/until … do … done | if … then … [elif …] [else …] fi
//             | for NAME [in WORD…] ; do … done | { list } | ( list )     (each with redirections)
import { ShellSyntaxError, tokenize, type Op, type RedirOp, type Token, type Word } from './tokenizer.js';

export interface Redir {
  fd: number;
  op: RedirOp;
  target: Word;
}
export interface Assign {
  name: string;
  value: Word;
}

export type Node =
  | { k: 'simple'; assigns: Assign[]; words: Word[]; redirs: Redir[] }
  | { k: 'pipe'; negate: boolean; cmds: Node[] }
  | { k: 'andor'; first: Node; rest: Array<{ op: '&&' | '||'; node: Node }> }
  | { k: 'list'; items: Array<{ node: Node; bg: boolean }> }
  | { k: 'loop'; until: boolean; cond: Node; body: Node; redirs: Redir[] }
  | { k: 'if'; arms: Array<{ cond: Node; body: Node }>; otherwise?: Node; redirs: Redir[] }
  | { k: 'for'; name: string; items?: Word[]; body: Node; redirs: Redir[] }
  | { k: 'group'; body: Node; subshell: boolean; redirs: Redir[] };

const RESERVED = new Set(['while', 'until', 'do', 'done', 'if', 'then', 'elif', 'else', 'fi', 'for', 'in', '{', '}', '!', 'case', 'esac', 'function']);

export function parse(src: string): Node {
  return new Parser(tokenize(src)).script();
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token | undefined {
    return this.toks[this.i];
  }
  private reserved(t = this.peek()): string | undefined {
    return t?.t === 'word' && t.raw !== undefined && RESERVED.has(t.raw) ? t.raw : undefined;
  }
  private isOp(v: Op, t = this.peek()): boolean {
    return t?.t === 'op' && t.v === v;
  }
  private describe(t: Token | undefined): string {
    if (!t) return 'end of file';
    if (t.t === 'op') return t.v === '\n' ? 'newline' : `"${t.v}"`;
    if (t.t === 'redir') return `"${t.op}"`;
    return `"${t.raw ?? 'word'}"`;
  }
  private fail(): never {
    throw new ShellSyntaxError(`unexpected ${this.describe(this.peek())}`);
  }
  private newlines(): void {
    while (this.isOp('\n')) this.i++;
  }
  private expectWord(word: string): void {
    this.newlines();
    if (this.reserved() !== word) this.fail();
    this.i++;
  }

  script(): Node {
    const l = this.list(new Set());
    if (this.i < this.toks.length) this.fail();
    return l;
  }

  /** A list ending before one of the terminator reserved words, ')' or end of input. */
  private list(terms: Set<string>): Node {
    const items: Array<{ node: Node; bg: boolean }> = [];
    for (;;) {
      while (this.isOp('\n') || this.isOp(';')) {
        if (this.isOp(';') && items.length === 0) this.fail();
        this.i++;
      }
      const t = this.peek();
      if (!t || this.isOp(')') || (this.reserved(t) && terms.has(this.reserved(t)!))) break;
      const node = this.andOr();
      let bg = false;
      if (this.isOp('&')) {
        bg = true;
        this.i++;
      } else if (this.isOp(';') || this.isOp('\n')) this.i++;
      else if (this.peek() && !this.isOp(')') && !(this.reserved() && terms.has(this.reserved()!))) this.fail();
      items.push({ node, bg });
    }
    return { k: 'list', items };
  }

  private andOr(): Node {
    const first = this.pipeline();
    const rest: Array<{ op: '&&' | '||'; node: Node }> = [];
    while (this.isOp('&&') || this.isOp('||')) {
      const op = (this.peek() as { v: '&&' | '||' }).v;
      this.i++;
      this.newlines();
      rest.push({ op, node: this.pipeline() });
    }
    return rest.length ? { k: 'andor', first, rest } : first;
  }

  private pipeline(): Node {
    let negate = false;
    if (this.reserved() === '!') {
      negate = true;
      this.i++;
    }
    const cmds = [this.command()];
    while (this.isOp('|')) {
      this.i++;
      this.newlines();
      cmds.push(this.command());
    }
    return cmds.length === 1 && !negate ? cmds[0] : { k: 'pipe', negate, cmds };
  }

  private command(): Node {
    const r = this.reserved();
    if (r === 'while' || r === 'until') {
      this.i++;
      const cond = this.list(new Set(['do']));
      this.expectWord('do');
      const body = this.list(new Set(['done']));
      this.expectWord('done');
      return { k: 'loop', until: r === 'until', cond, body, redirs: this.redirs() };
    }
    if (r === 'if') {
      this.i++;
      const arms: Array<{ cond: Node; body: Node }> = [];
      let otherwise: Node | undefined;
      for (;;) {
        const cond = this.list(new Set(['then']));
        this.expectWord('then');
        const body = this.list(new Set(['elif', 'else', 'fi']));
        arms.push({ cond, body });
        this.newlines();
        const w = this.reserved();
        this.i++;
        if (w === 'elif') continue;
        if (w === 'else') {
          otherwise = this.list(new Set(['fi']));
          this.expectWord('fi');
        } else if (w !== 'fi') {
          this.i--;
          this.fail();
        }
        break;
      }
      return { k: 'if', arms, otherwise, redirs: this.redirs() };
    }
    if (r === 'for') {
      this.i++;
      const t = this.peek();
      if (t?.t !== 'word' || !t.raw || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.raw)) this.fail();
      const name = t.raw;
      this.i++;
      let items: Word[] | undefined;
      this.newlines();
      if (this.reserved() === 'in') {
        this.i++;
        items = [];
        while (this.peek()?.t === 'word') items.push((this.toks[this.i++] as { w: Word }).w);
      }
      if (this.isOp(';') || this.isOp('\n')) this.i++;
      this.expectWord('do');
      const body = this.list(new Set(['done']));
      this.expectWord('done');
      return { k: 'for', name, items, body, redirs: this.redirs() };
    }
    if (r === '{') {
      this.i++;
      const body = this.list(new Set(['}']));
      this.expectWord('}');
      return { k: 'group', body, subshell: false, redirs: this.redirs() };
    }
    if (this.isOp('(')) {
      this.i++;
      const body = this.list(new Set());
      this.newlines();
      if (!this.isOp(')')) this.fail();
      this.i++;
      return { k: 'group', body, subshell: true, redirs: this.redirs() };
    }
    if (r && r !== 'in') {
      if (r === 'case' || r === 'esac' || r === 'function') throw new ShellSyntaxError(`${r} is not supported by the simulator`);
      this.fail();
    }
    return this.simple();
  }

  private redirs(): Redir[] {
    const out: Redir[] = [];
    while (this.peek()?.t === 'redir') out.push(this.redir());
    return out;
  }

  private redir(): Redir {
    const t = this.toks[this.i++] as Extract<Token, { t: 'redir' }>;
    const target = this.peek();
    if (target?.t !== 'word') this.fail();
    this.i++;
    const fd = t.fd ?? (t.op === '<' || t.op === '<&' ? 0 : 1);
    return { fd, op: t.op, target: target.w };
  }

  private simple(): Node {
    const assigns: Assign[] = [];
    const words: Word[] = [];
    const redirs: Redir[] = [];
    for (;;) {
      const t = this.peek();
      if (t?.t === 'redir') {
        redirs.push(this.redir());
        continue;
      }
      if (t?.t !== 'word') break;
      if (this.isOp('(', this.toks[this.i + 1]) && words.length === 0) throw new ShellSyntaxError('functions are not supported by the simulator');
      this.i++;
      const first = t.w[0];
      const m = words.length === 0 && first?.t === 'lit' && !first.q ? /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(first.v) : null;
      if (m && first.t === 'lit') {
        const value: Word = [{ t: 'lit', v: first.v.slice(m[0].length), q: false }, ...t.w.slice(1)];
        assigns.push({ name: m[1], value: value.filter((p) => !(p.t === 'lit' && p.v === '' && !p.q)) });
        continue;
      }
      words.push(t.w);
    }
    if (!assigns.length && !words.length && !redirs.length) this.fail();
    return { k: 'simple', assigns, words, redirs };
  }
}
