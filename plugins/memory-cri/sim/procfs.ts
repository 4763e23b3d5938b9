// The /proc files a container's processes read: /proc/self/status (identity, capabilities,
// NoNewPrivs, seccomp) and /proc/sys/… for the pod's sysctls, as the kernel shows them.

export interface ProcStatus {
  uid: number;
  gid: number;
  groups: number[];
  /** Bounding set; a root process also has it effective and permitted, another none. */
  capBnd: bigint;
  noNewPrivs: boolean;
  /** 0: no seccomp filter, 2: a filter. */
  seccomp: 0 | 2;
}

export function procStatusText(s: ProcStatus): string {
  const hex = (n: bigint) => n.toString(16).padStart(16, '0');
  const eff = s.uid === 0 ? s.capBnd : 0n;
  return [
    'Name:\tsh',
    'State:\tR (running)',
    `Uid:\t${s.uid}\t${s.uid}\t${s.uid}\t${s.uid}`,
    `Gid:\t${s.gid}\t${s.gid}\t${s.gid}\t${s.gid}`,
    `Groups:\t${s.groups.join(' ')}${s.groups.length ? ' ' : ''}`,
    `CapInh:\t${hex(0n)}`,
    `CapPrm:\t${hex(eff)}`,
    `CapEff:\t${hex(eff)}`,
    `CapBnd:\t${hex(s.capBnd)}`,
    `CapAmb:\t${hex(0n)}`,
    `NoNewPrivs:\t${s.noNewPrivs ? 1 : 0}`,
    `Seccomp:\t${s.seccomp}`,
    `Seccomp_filters:\t${s.seccomp ? 1 : 0}`,
    '',
  ].join('\n');
}

/** A sysctl name (dots or slashes) → its file under /proc/sys, holding the value and a newline. */
export function sysctlFiles(sysctls: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(sysctls)) out[`/proc/sys/${k.includes('/') ? k : k.replace(/\./g, '/')}`] = `${v}\n`;
  return out;
}
