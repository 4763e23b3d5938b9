// What a cri-minimal container "runs": no real process, a few programs simulated well enough for
// a pod to log, wait, succeed, fail and be stopped. Programs: echo, sleep N|infinity, true, false,
// pwd, hostname, exit N, and `sh -c SCRIPT` where SCRIPT joins those with `;` and `&&`, and may
// use `while COND; do …; done` and `trap "exit N" TERM` / `trap "" TERM`. Quotes group words,
// $VAR and ${VAR} expand from the container's environment (not inside single quotes), and `>&2`
// sends a command's output to stderr; nothing else of the shell. No argv at all waits forever,
// like a pause container.
//
// Signals: TERM ends the program with 143 unless it trapped TERM; KILL always ends it with 137.
// A program is compiled before it starts, so that a command the runtime cannot run fails
// StartContainer the way runc reports a missing executable, never later.

export type Output = (line: string, stream: 'stdout' | 'stderr') => void;
/** Runs until it ends; answers its exit code. Aborting `term` / `kill` delivers the signal. */
export type Program = (out: Output, signals: { term: AbortSignal; kill: AbortSignal }) => Promise<number>;
export interface ProcessEnv {
  env: Record<string, string>;
  cwd: string;
  hostname: string;
}

const PROGRAMS = ['echo', 'sleep', 'true', 'false', 'pwd', 'hostname', 'exit'];
const name = (word: string) => word.split('/').pop() ?? word;

/** Words and operators of a script: `a "b c"; d && e` → [a, b c, ;, d, &&, e]. */
function tokens(script: string, env: Record<string, string>): string[] {
  const expand = (s: string) => s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => env[a ?? b] ?? '');
  return [...script.matchAll(/"([^"]*)"|'([^']*)'|(&&|;|>&2)|([^\s;&"']+)/g)].map((m) => (m[2] !== undefined ? m[2] : (m[3] ?? expand(m[1] ?? m[4]))));
}

type Step = { words: string[]; after: string };

/** argv → a program, or the reason it cannot run (runc's words). */
export function compile(argv: string[], { env, cwd, hostname }: ProcessEnv): Program | { error: string } {
  const shell = ['sh', 'bash', 'ash'].includes(name(argv[0] ?? '')) && argv[1] === '-c';
  if (argv.length && !shell && !PROGRAMS.includes(name(argv[0]))) return { error: `exec: "${argv[0]}": executable file not found in $PATH` };
  const steps: Step[] = [];
  if (shell) {
    let words: string[] = [];
    for (const t of [...tokens(argv[2] ?? '', env), ';']) {
      if (t !== ';' && t !== '&&') {
        words.push(t);
        continue;
      }
      if (words[0] === 'do') words.shift(); // `do CMD`: the loop body starts with CMD
      if (words.length) steps.push({ words, after: t });
      words = [];
    }
  } else if (argv.length) {
    steps.push({ words: argv, after: ';' });
  }

  return async (out, { term, kill }) => {
    let onTerm: number | 'ignore' = 143;
    let ended: number | undefined;
    let wake = () => {};
    term.addEventListener(
      'abort',
      () => {
        if (onTerm !== 'ignore') {
          ended ??= onTerm;
          wake();
        }
      },
      { once: true },
    );
    kill.addEventListener(
      'abort',
      () => {
        ended = 137;
        wake();
      },
      { once: true },
    );
    const sleep = (seconds: number) =>
      new Promise<void>((resolve) => {
        if (ended !== undefined) return resolve();
        const timer = Number.isFinite(seconds) ? setTimeout(resolve, seconds * 1000) : undefined;
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    if (!steps.length) await sleep(Infinity); // the pause container

    let status = 0;
    let skip = false; // after a failed `a && b`: b is skipped, the chain's status stays the failure
    const loops: number[] = []; // pc of each `while` we are in
    for (let pc = 0; pc < steps.length && ended === undefined; pc++) {
      const { words, after } = steps[pc];
      const stream = words.includes('>&2') ? 'stderr' : 'stdout';
      let [cmd, ...args] = words.filter((w) => w !== '>&2');
      if (cmd === 'done') {
        pc = loops.pop()! - 1;
        await sleep(0);
        continue;
      } // back to the condition
      const loop = cmd === 'while';
      if (loop) [cmd, ...args] = args;
      if (!skip) {
        switch (name(cmd)) {
          case 'echo':
            out(args.join(' '), stream);
            status = 0;
            break;
          case 'pwd':
            out(cwd, stream);
            status = 0;
            break;
          case 'hostname':
            out(hostname, stream);
            status = 0;
            break;
          case 'true':
            status = 0;
            break;
          case 'false':
            status = 1;
            break;
          case 'exit':
            return Number(args[0] ?? status) & 255;
          case 'trap':
            onTerm = args[0] ? Number(/^exit (\d+)$/.exec(args[0])?.[1] ?? 143) : 'ignore';
            status = 0;
            break;
          case 'sleep': {
            const s = args[0] === 'infinity' ? Infinity : Number(args[0]);
            if (Number.isNaN(s)) {
              out(`sleep: invalid number '${args[0]}'`, 'stderr');
              status = 1;
              break;
            }
            await sleep(s);
            status = 0;
            break;
          }
          default:
            out(`sh: ${cmd}: not found`, 'stderr');
            status = 127;
        }
      }
      if (loop) {
        if (status === 0) loops.push(pc);
        else pc = steps.findIndex((s, i) => i > pc && s.words[0] === 'done'); // leave the loop
        if (pc < 0) break;
      }
      skip = after === '&&' && (skip || status !== 0);
    }
    return ended ?? status;
  };
}
