// What a container runs and how, from its ContainerConfig and image — the simulated counterpart
// of containerd's OCI spec generation: argv (Docker's entrypoint/cmd rules), environment,
// working directory, user (runAsUser / runAsUsername / image USER), mounts (missing host paths
// are created as directories, as containerd does) and the files runc would provide.
import { mkdirSync, statSync } from 'node:fs';
import { MountPropagation, NamespaceMode, SecurityProfile_ProfileType, SupplementalGroupsPolicy, type ContainerConfig } from '../../interfaces/gen/cri/api.js';
import { invalidArgument, unknownError } from '../../interfaces/grpc/errors.js';
import type { CatalogueEntry } from './catalogue.js';
import { ContainerFs, type MountSpec } from './sim/index.js';
import { nodeSubmounts } from './sim/mounts.js';
import { procStatusText, sysctlFiles } from './sim/procfs.js';
import { SeccompFilter } from './sim/seccomp.js';
import type { SandboxRec } from './store.js';

/** containerd's WithProcessArgs: command overrides Entrypoint (and drops Cmd unless args are given), args override Cmd. */
export function containerArgv(config: ContainerConfig, image: CatalogueEntry): string[] {
  let command = config.command ?? [];
  let args = config.args ?? [];
  if (command.length === 0) {
    if (args.length === 0) args = [...image.config.cmd];
    if (!(image.config.entrypoint.length === 1 && image.config.entrypoint[0] === '')) command = [...image.config.entrypoint];
  }
  const argv = [...command, ...args];
  if (argv.length === 0) throw invalidArgument('no command specified');
  return argv;
}

/** Image env, then HOSTNAME, then the config's envs (later wins). */
export function containerEnv(config: ContainerConfig, image: CatalogueEntry, hostname: string): Map<string, string> {
  const env = new Map<string, string>();
  const put = (kv: string) => {
    const i = kv.indexOf('=');
    if (i > 0) env.set(kv.slice(0, i), kv.slice(i + 1));
  };
  for (const kv of image.config.env) put(kv);
  env.set('HOSTNAME', hostname);
  for (const e of config.envs ?? []) env.set(e.key, Buffer.from(e.value ?? '').toString());
  return env;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  groups: number[];
  name: string;
  group: string;
  username?: string;
  groupNames: Record<number, string>;
}

/** The first process's identity, or the error runc would report at start. */
export function containerUser(config: ContainerConfig, image: CatalogueEntry): ResolvedUser | { error: string } {
  const sc = config.linux?.securityContext;
  const byName = (n: string) => image.users.get(n);
  const byUid = (uid: number) => [...image.users].find(([, u]) => u.uid === uid);
  const byGid = (gid: number) => [...image.groups].find(([, g]) => g.gid === gid)?.[0] ?? [...image.users].find(([, u]) => u.gid === gid)?.[0];
  let uid: number;
  let gid: number | undefined;
  let username: string | undefined;
  // api.proto: run_as_group without run_as_user or run_as_username MUST be an error.
  if (sc?.runAsGroup && !sc.runAsUser && !sc.runAsUsername) return { error: `user group "${sc.runAsGroup.value}" is specified without user` };
  if (sc?.runAsUser) {
    uid = Number(sc.runAsUser.value);
  } else if (sc?.runAsUsername) {
    const u = byName(sc.runAsUsername);
    if (!u) return { error: `unable to find user ${sc.runAsUsername}: no matching entries in passwd file` };
    uid = u.uid;
    gid = u.gid;
    username = sc.runAsUsername;
  } else {
    const [us, gs] = image.config.user.split(':');
    if (!us) uid = 0;
    else if (/^\d+$/.test(us)) uid = Number(us);
    else {
      const u = byName(us);
      if (!u) return { error: `unable to find user ${us}: no matching entries in passwd file` };
      uid = u.uid;
      gid = u.gid;
    }
    if (gs !== undefined && gs !== '') {
      if (/^\d+$/.test(gs)) gid = Number(gs);
      else {
        const g = image.groups.get(gs) ?? image.users.get(gs);
        if (!g) return { error: `unable to find group ${gs}: no matching entries in group file` };
        gid = g.gid;
      }
    }
  }
  if (sc?.runAsGroup) gid = Number(sc.runAsGroup.value);
  gid ??= byUid(uid)?.[1].gid ?? 0;
  // containerd's WithAdditionalGIDs: the groups /etc/group lists the user in (policy Merge, the
  // default; Strict leaves them out), then the security context's supplementalGroups. The kernel
  // keeps a process's groups sorted (getgroups, `id -G`).
  const name = username ?? byUid(uid)?.[0];
  const strict = sc?.supplementalGroupsPolicy === SupplementalGroupsPolicy.Strict;
  const member = name === undefined || strict ? [] : [...image.groups.values()].filter((g) => g.members.includes(name)).map((g) => g.gid);
  const groups = [...new Set([...member, ...(sc?.supplementalGroups ?? []).map(Number)])].sort((a, b) => a - b);
  const groupNames: Record<number, string> = {};
  for (const g of groups) {
    const n = byGid(g);
    if (n !== undefined) groupNames[g] = n;
  }
  return { uid, gid, groups, name: byUid(uid)?.[0] ?? String(uid), group: byGid(gid) ?? String(gid), username, groupNames };
}

/** Mounts as the simulator sees them; a missing host path becomes a directory (containerd's behaviour). */
export function containerMounts(config: ContainerConfig): MountSpec[] {
  const out: MountSpec[] = [];
  for (const m of config.mounts ?? []) {
    if (!m.containerPath) throw invalidArgument('mounts: containerPath must not be empty');
    if (m.image?.image) continue; // image volumes are not simulated: the path is an empty rootfs directory
    if (!m.hostPath) throw invalidArgument(`mounts[${m.containerPath}]: hostPath must not be empty`);
    try {
      statSync(m.hostPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(m.hostPath, { recursive: true, mode: 0o755 });
    }
    // recursive_read_only (RuntimeHandlerFeatures.recursive_read_only_mounts): as containerd, only with readonly and private propagation
    if (m.recursiveReadOnly && !m.readonly) throw invalidArgument(`mounts[${m.containerPath}]: recursive_read_only needs readonly`);
    if (m.recursiveReadOnly && (m.propagation ?? MountPropagation.PROPAGATION_PRIVATE) !== MountPropagation.PROPAGATION_PRIVATE) {
      throw invalidArgument(`mounts[${m.containerPath}]: recursive_read_only needs propagation PROPAGATION_PRIVATE`);
    }
    out.push({
      containerPath: m.containerPath,
      hostPath: m.hostPath,
      readonly: !!m.readonly,
      ...mountOptions(m.containerPath, m.mountOptions),
      submounts: nodeSubmounts(m.hostPath),
      ...(m.recursiveReadOnly ? { recursiveReadonly: true } : {}),
      ...(m.propagation === MountPropagation.PROPAGATION_PRIVATE ? { private: true } : {}),
    });
  }
  return out;
}

/** Bind mount flags memory-cri applies (Mount.mount_options, RuntimeFeatures.mount_options): pairs that set and clear one flag. */
export const MOUNT_OPTIONS = [
  'noexec',
  'exec',
  'nodev',
  'dev',
  'nosuid',
  'suid',
  'noatime',
  'atime',
  'relatime',
  'norelatime',
  'strictatime',
  'nodiratime',
  'diratime',
  'nosymfollow',
  'symfollow',
];

/** Check Mount.mount_options: an option the runtime cannot apply fails CreateContainer (never silently dropped). The last of exec/noexec wins, as in mount(8). */
function mountOptions(containerPath: string, options: string[] | undefined): { noexec?: boolean; options?: string[] } {
  if (!options?.length) return {};
  for (const o of options) {
    if (!MOUNT_OPTIONS.includes(o))
      throw invalidArgument(
        `mounts[${containerPath}].mount_options: ${JSON.stringify(o)} is not a bind mount option memory-cri can apply (${MOUNT_OPTIONS.join(', ')})`,
      );
  }
  const last = options.filter((o) => o === 'exec' || o === 'noexec').at(-1);
  return { options: [...options], ...(last === 'noexec' ? { noexec: true } : {}) };
}

export function sandboxHostname(sb: SandboxRec, nodeHostname: string): string {
  return sb.hostNetwork ? nodeHostname : sb.config.hostname || nodeHostname;
}

/** Linux capability numbers by name (CAP_ prefix dropped), as in linux/capability.h. */
export const CAPABILITIES: Record<string, number> = {
  CHOWN: 0,
  DAC_OVERRIDE: 1,
  DAC_READ_SEARCH: 2,
  FOWNER: 3,
  FSETID: 4,
  KILL: 5,
  SETGID: 6,
  SETUID: 7,
  SETPCAP: 8,
  LINUX_IMMUTABLE: 9,
  NET_BIND_SERVICE: 10,
  NET_BROADCAST: 11,
  NET_ADMIN: 12,
  NET_RAW: 13,
  IPC_LOCK: 14,
  IPC_OWNER: 15,
  SYS_MODULE: 16,
  SYS_RAWIO: 17,
  SYS_CHROOT: 18,
  SYS_PTRACE: 19,
  SYS_PACCT: 20,
  SYS_ADMIN: 21,
  SYS_BOOT: 22,
  SYS_NICE: 23,
  SYS_RESOURCE: 24,
  SYS_TIME: 25,
  SYS_TTY_CONFIG: 26,
  MKNOD: 27,
  LEASE: 28,
  AUDIT_WRITE: 29,
  AUDIT_CONTROL: 30,
  SETFCAP: 31,
  MAC_OVERRIDE: 32,
  MAC_ADMIN: 33,
  SYSLOG: 34,
  WAKE_ALARM: 35,
  BLOCK_SUSPEND: 36,
  AUDIT_READ: 37,
  PERFMON: 38,
  BPF: 39,
  CHECKPOINT_RESTORE: 40,
};
/** containerd's default capability set (oci.DefaultCapabilities). */
export const DEFAULT_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
];

/**
 * What /proc/self/status says about privileges, as runc sets them up: the bounding set is the
 * default set (all of them when privileged) plus added minus dropped ("ALL" allowed); a non-root
 * process has no effective capabilities (the kernel clears them at exec).
 */
export function capabilitySet(config: ContainerConfig): Set<string> {
  const sc = config.linux?.securityContext;
  const norm = (c: string) => c.toUpperCase().replace(/^CAP_/, '');
  let set = new Set(sc?.privileged ? Object.keys(CAPABILITIES) : DEFAULT_CAPABILITIES);
  if (!sc?.privileged) {
    const add = (sc?.capabilities?.addCapabilities ?? []).map(norm);
    const drop = (sc?.capabilities?.dropCapabilities ?? []).map(norm);
    if (add.includes('ALL')) set = new Set(Object.keys(CAPABILITIES));
    for (const c of add) if (c in CAPABILITIES) set.add(c);
    if (drop.includes('ALL')) set.clear();
    for (const c of drop) set.delete(c);
  }
  return set;
}

/** The capabilities a process of this uid holds (the effective set). */
export const effectiveCapabilities = (config: ContainerConfig, uid: number): Set<string> => (uid === 0 ? capabilitySet(config) : new Set());

export function procStatus(config: ContainerConfig, user: { uid: number; gid: number; groups: number[] }): string {
  const sc = config.linux?.securityContext;
  let mask = 0n;
  for (const c of capabilitySet(config)) mask |= 1n << BigInt(CAPABILITIES[c]);
  return procStatusText({
    uid: user.uid,
    gid: user.gid,
    groups: user.groups,
    capBnd: mask,
    noNewPrivs: !!sc?.noNewPrivs && !sc.privileged,
    seccomp: containerSeccomp(config).mode,
  });
}

/**
 * The seccomp filter containerd would have runc install: none when privileged; `seccomp`
 * (or the legacy seccomp_profile_path) — unset: unconfined, RuntimeDefault, Unconfined,
 * Localhost with the profile's JSON file (an unreadable or bad one fails CreateContainer).
 */
export function containerSeccomp(config: ContainerConfig): SeccompFilter {
  const sc = config.linux?.securityContext;
  if (!sc || sc.privileged) return SeccompFilter.unconfined();
  const fail = (e: unknown) => unknownError(`failed to generate seccomp spec opts: ${(e as Error).message}`);
  if (sc.seccomp) {
    switch (sc.seccomp.profileType) {
      case SecurityProfile_ProfileType.RuntimeDefault:
        return SeccompFilter.runtimeDefault();
      case SecurityProfile_ProfileType.Unconfined:
        return SeccompFilter.unconfined();
      case SecurityProfile_ProfileType.Localhost:
        try {
          return SeccompFilter.localhost(sc.seccomp.localhostRef);
        } catch (e) {
          throw fail(e);
        }
      default:
        throw invalidArgument(`linux.security_context.seccomp.profile_type: unknown value ${sc.seccomp.profileType}`);
    }
  }
  const legacy = sc.seccompProfilePath;
  if (!legacy || legacy === 'unconfined') return SeccompFilter.unconfined();
  if (legacy === 'runtime/default' || legacy === 'docker/default') return SeccompFilter.runtimeDefault();
  if (legacy.startsWith('localhost/')) {
    try {
      return SeccompFilter.localhost(legacy.slice('localhost/'.length));
    } catch (e) {
      throw fail(e);
    }
  }
  throw invalidArgument(
    `linux.security_context.seccomp_profile_path: unsupported value ${JSON.stringify(legacy)} (runtime/default, unconfined or localhost/PATH)`,
  );
}

/** api.proto: run_as_group is only valid with run_as_user or run_as_username (containerd rejects it otherwise). */
export function checkRunAsGroup(config: ContainerConfig): void {
  const sc = config.linux?.securityContext;
  if (sc?.runAsGroup && !sc.runAsUser && !sc.runAsUsername) {
    throw invalidArgument(`user group "${sc.runAsGroup.value}" is specified without user`);
  }
}

/** The container's files: the image's rootfs plus what runc/containerd provide (/etc/hostname, hosts, resolv.conf, /proc/self/status). */
export function containerFs(
  config: ContainerConfig,
  image: CatalogueEntry,
  sb: SandboxRec,
  hostname: string,
  cwd: string,
  user = { uid: 0, gid: 0, groups: [] as number[] },
): ContainerFs {
  const dns = sb.config.dnsConfig;
  const resolv = [
    ...(dns?.searches?.length ? [`search ${dns.searches.join(' ')}`] : []),
    ...(dns?.servers ?? []).map((s) => `nameserver ${s}`),
    ...(dns?.options?.length ? [`options ${dns.options.join(' ')}`] : []),
  ].join('\n');
  const hosts = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...sb.ips.map((ip) => `${ip}\t${hostname}`)].join('\n') + '\n';
  const readonlyRootfs = !!config.linux?.securityContext?.readonlyRootfs;
  return new ContainerFs({
    mounts: containerMounts(config),
    readonlyRootfs,
    executables: image.executables,
    files: {
      ...image.files,
      '/etc/hostname': hostname + '\n',
      '/etc/hosts': hosts,
      '/etc/resolv.conf': resolv ? resolv + '\n' : '',
      ...sysctlFiles(sb.config.linux?.sysctls ?? {}),
      '/proc/self/status': procStatus(config, user),
    },
    dirs: [cwd],
    maskedPaths: config.linux?.securityContext?.maskedPaths,
    readonlyPaths: config.linux?.securityContext?.readonlyPaths,
  });
}

export const isHostNetwork = (ns: { network?: NamespaceMode } | undefined): boolean => ns?.network === NamespaceMode.NODE;
