// $(( … )) for the simulator: integers, variables, + - * / % ** ( ), comparisons, ! && || and
// unary minus. Enough for counters in wait loops (i=$((i+1))).
export function evalArith(src: string, lookup: (name: string) => string | undefined): number {
  const toks = src.match(/\s*(\d+|[A-Za-z_][A-Za-z0-9_]*|\*\*|<=|>=|==|!=|&&|\|\||[-+*/%()<>!])\s*/gy);
  const joined = (toks ?? []).join('');
  if (joined.length !== src.length) throw new Error(`arithmetic syntax error: ${src}`);
  const ts = (toks ?? []).map((t) => t.trim());
  let i = 0;
  const num = (name: string): number => {
    const v = lookup(name);
    if (v === undefined || v === '') return 0;
    const n = Number(v.trim());
    if (!Number.isInteger(n)) throw new Error(`arithmetic: ${name}=${v} is not a number`);
    return n;
  };
  const PREC: Record<string, number> = {
    '||': 1,
    '&&': 2,
    '==': 3,
    '!=': 3,
    '<': 4,
    '>': 4,
    '<=': 4,
    '>=': 4,
    '+': 5,
    '-': 5,
    '*': 6,
    '/': 6,
    '%': 6,
    '**': 7,
  };
  const unary = (): number => {
    const t = ts[i++];
    if (t === undefined) throw new Error(`arithmetic syntax error: ${src}`);
    if (t === '-') return -unary();
    if (t === '+') return unary();
    if (t === '!') return unary() ? 0 : 1;
    if (t === '(') {
      const v = binary(0);
      if (ts[i++] !== ')') throw new Error(`arithmetic syntax error: ${src}`);
      return v;
    }
    if (/^\d+$/.test(t)) return Number(t);
    if (/^[A-Za-z_]/.test(t)) return num(t);
    throw new Error(`arithmetic syntax error: ${src}`);
  };
  const apply = (op: string, a: number, b: number): number => {
    switch (op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        if (b === 0) throw new Error('arithmetic: division by zero');
        return Math.trunc(a / b);
      case '%':
        if (b === 0) throw new Error('arithmetic: division by zero');
        return a % b;
      case '**':
        return a ** b;
      case '<':
        return +(a < b);
      case '>':
        return +(a > b);
      case '<=':
        return +(a <= b);
      case '>=':
        return +(a >= b);
      case '==':
        return +(a === b);
      case '!=':
        return +(a !== b);
      case '&&':
        return +(!!a && !!b);
      default:
        return +(!!a || !!b);
    }
  };
  const binary = (min: number): number => {
    let left = unary();
    for (;;) {
      const op = ts[i];
      const p = op === undefined ? undefined : PREC[op];
      if (p === undefined || p < min) return left;
      i++;
      const right = binary(op === '**' ? p : p + 1);
      left = apply(op, left, right);
    }
  };
  if (ts.length === 0) return 0;
  const v = binary(0);
  if (i !== ts.length) throw new Error(`arithmetic syntax error: ${src}`);
  return v;
}
