// Seccomp as a container sees it: the filter runc installs decides, per system call the simulated
// programs make (chmod, chown, sethostname, mount), whether it runs, fails with an errno or
// kills the process (SIGSYS, exit 159); /proc/self/status reports the mode. Profiles:
// Unconfined (no filter, mode 0), RuntimeDefault (containerd's default profile, mode 2: the
// calls it allows only with CAP_SYS_ADMIN fail with EPERM without it) and Localhost (an OCI
// seccomp JSON file: defaultAction and syscalls[].names/action/errnoRet). Privileged containers
// get no filter, as containerd does.
import { readFileSync } from 'node:fs';
import { hasCap, type ProgramCtx } from './types.js';

export type SeccompAction = { kind: 'allow' } | { kind: 'errno'; errno: number } | { kind: 'kill' };

const EPERM = 1;
const ERRNO_TEXT: Record<number, string> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  13: 'Permission denied',
  38: 'Function not implemented',
};
export const errnoText = (n: number): string => ERRNO_TEXT[n] ?? `Unknown error ${n}`;

/** The system calls of containerd's default profile that it allows only with CAP_SYS_ADMIN (those the simulator makes). */
const DEFAULT_PROFILE_SYS_ADMIN = new Set(['mount', 'umount2', 'sethostname', 'setdomainname', 'unshare', 'setns']);

export class SeccompFilter {
  /** The Seccomp: value of /proc/PID/status (0 disabled, 2 filter). */
  readonly mode: 0 | 2;
  constructor(
    private readonly kind: 'unconfined' | 'runtime-default' | 'localhost',
    private readonly profile?: { defaultAction: SeccompAction; rules: Map<string, SeccompAction> },
  ) {
    this.mode = kind === 'unconfined' ? 0 : 2;
  }

  static unconfined(): SeccompFilter {
    return new SeccompFilter('unconfined');
  }
  static runtimeDefault(): SeccompFilter {
    return new SeccompFilter('runtime-default');
  }

  /** An OCI seccomp profile (JSON); errors name the file and the field. */
  static localhost(path: string): SeccompFilter {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new Error(`cannot load seccomp profile "${path}": ${(e as Error).message}`);
    }
    const p = raw as { defaultAction?: unknown; defaultErrnoRet?: unknown; syscalls?: unknown };
    const action = (a: unknown, errnoRet: unknown, where: string): SeccompAction => {
      if (typeof a !== 'string') throw new Error(`seccomp profile "${path}": ${where} must be a string`);
      if (a === 'SCMP_ACT_ALLOW' || a === 'SCMP_ACT_LOG') return { kind: 'allow' };
      if (a === 'SCMP_ACT_ERRNO' || a === 'SCMP_ACT_TRACE')
        return { kind: 'errno', errno: typeof errnoRet === 'number' ? errnoRet : a === 'SCMP_ACT_TRACE' ? 38 : EPERM };
      if (['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP'].includes(a)) return { kind: 'kill' };
      throw new Error(`seccomp profile "${path}": ${where}: unknown action ${JSON.stringify(a)}`);
    };
    const defaultAction = action(p.defaultAction, p.defaultErrnoRet, 'defaultAction');
    const rules = new Map<string, SeccompAction>();
    if (p.syscalls !== undefined && !Array.isArray(p.syscalls)) throw new Error(`seccomp profile "${path}": syscalls must be a list`);
    for (const [i, s] of ((p.syscalls ?? []) as Array<{ names?: unknown; name?: unknown; action?: unknown; errnoRet?: unknown; args?: unknown }>).entries()) {
      const names = Array.isArray(s.names) ? s.names : typeof s.name === 'string' ? [s.name] : undefined;
      if (!names) throw new Error(`seccomp profile "${path}": syscalls[${i}].names must be a list`);
      // Rules with argument conditions match only some calls; the simulator does not model arguments, so they are not applied.
      if (Array.isArray(s.args) && s.args.length) continue;
      const a = action(s.action, s.errnoRet, `syscalls[${i}].action`);
      for (const n of names) if (!rules.has(String(n))) rules.set(String(n), a);
    }
    return new SeccompFilter('localhost', { defaultAction, rules });
  }

  /** What the filter does with this call, for a process with these capabilities. */
  decide(syscall: string, ctx: ProgramCtx): SeccompAction {
    if (this.kind === 'unconfined') return { kind: 'allow' };
    if (this.kind === 'runtime-default')
      return DEFAULT_PROFILE_SYS_ADMIN.has(syscall) && !hasCap(ctx.host, 'SYS_ADMIN') ? { kind: 'errno', errno: EPERM } : { kind: 'allow' };
    return this.profile!.rules.get(syscall) ?? this.profile!.defaultAction;
  }
}

/**
 * A system call by a simulated program: undefined when the filter lets it through, else the
 * errno's text (the caller prints it as the program would). A kill action ends the process.
 */
export function syscall(c: ProgramCtx, name: string): string | undefined {
  const d = c.host.seccomp?.decide(name, c) ?? { kind: 'allow' };
  if (d.kind === 'allow') return undefined;
  if (d.kind === 'kill') {
    c.proc.terminate(128 + 31); // SIGSYS
    c.proc.check();
  }
  return errnoText(d.kind === 'errno' ? d.errno : EPERM);
}

/** chmod(2) is its own call on x86_64; elsewhere libc uses fchmodat (same for chown). */
export const CHMOD_SYSCALL = process.arch === 'x64' ? 'chmod' : 'fchmodat';
export const CHOWN_SYSCALL = process.arch === 'x64' ? 'chown' : 'fchownat';
