// Applets that look at or change the (simulated) kernel: dd, mount, ipcs, netstat, brctl, ping.
// What they may do follows the process's capabilities as runc leaves them (NET_RAW for ping,
// NET_ADMIN for brctl, SYS_ADMIN for mount), and messages and exit codes follow busybox.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { FsError } from './fs.js';
import { syscall } from './seccomp.js';
import { hasCap, programs, readAll, type Program, type ProgramCtx } from './types.js';

function def(names: string[], p: Program): void {
  for (const n of names) programs.set(n, p);
}

const SIZE_SUFFIX: Record<string, number> = { '': 1, c: 1, w: 2, b: 512, k: 1024, K: 1024, kB: 1000, M: 1024 ** 2, MB: 1e6, G: 1024 ** 3, GB: 1e9 };

/** A dd/busybox size: digits and an optional suffix (c w b k K kB M MB G GB). */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+)([a-zA-Z]*)$/.exec(s);
  if (!m || !(m[2] in SIZE_SUFFIX)) return undefined;
  return Number(m[1]) * SIZE_SUFFIX[m[2]];
}

function human(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n}B` : `${v.toFixed(1)}${units[i]}`;
}

/**
 * dd [if=F] [of=F] [bs=N] [count=N] [skip=N] [seek=N]: holds a bs-sized buffer for its life
 * (counted as the container's memory, so a buffer over the limit is an OOM kill, exit 137);
 * /dev/zero and /dev/urandom are endless, so without count= it runs until signalled.
 */
def(['dd'], async (c) => {
  const ops = new Map<string, string>();
  for (const a of c.argv.slice(1)) {
    const i = a.indexOf('=');
    if (i <= 0) {
      c.io.err.write(`dd: invalid argument '${a}'\n`);
      return 1;
    }
    ops.set(a.slice(0, i), a.slice(i + 1));
  }
  const num = (k: string, dflt: number) => {
    const v = ops.get(k);
    if (v === undefined) return dflt;
    const n = parseSize(v);
    if (n === undefined) throw new Error(`invalid number '${v}'`);
    return n;
  };
  let bs: number;
  let count: number;
  let skip: number;
  let seek: number;
  try {
    bs = num('bs', num('ibs', 512));
    count = num('count', Infinity);
    skip = num('skip', 0);
    seek = num('seek', 0);
  } catch (e) {
    c.io.err.write(`dd: ${(e as Error).message}\n`);
    return 1;
  }
  for (const k of ops.keys()) {
    if (!['if', 'of', 'bs', 'ibs', 'obs', 'count', 'skip', 'seek', 'conv', 'status', 'iflag', 'oflag'].includes(k)) {
      c.io.err.write(`dd: invalid argument '${k}=${ops.get(k)}'\n`);
      return 1;
    }
  }
  const inPath = ops.get('if');
  const outPath = ops.get('of');
  c.host.allocate?.(bs);
  try {
    c.proc.check();
    const endless = inPath === '/dev/zero' || inPath === '/dev/urandom';
    let input: Buffer | undefined;
    if (!endless) {
      try {
        input = inPath === undefined ? readAll(c.io.stdin) : c.host.fs.readFile(inPath, c.cwd);
      } catch (e) {
        c.io.err.write(`dd: can't open '${inPath}': ${e instanceof FsError ? e.message : (e as Error).message}\n`);
        return 1;
      }
      input = input.subarray(Math.min(input.length, skip * bs));
    }
    const started = Date.now();
    const out: Buffer[] = [];
    let full = 0;
    let partial = 0;
    let bytes = 0;
    for (let n = 0; n < count; n++) {
      let block: Buffer;
      if (endless) block = inPath === '/dev/zero' ? Buffer.alloc(Math.min(bs, 64 * 1024)) : Buffer.alloc(0);
      else {
        block = input!.subarray(n * bs, (n + 1) * bs);
        if (!block.length) break;
      }
      const size = endless ? bs : block.length;
      if (size === bs) full++;
      else partial++;
      bytes += size;
      if (outPath === undefined) c.io.out.write(block);
      else if (outPath !== '/dev/null' && !endless) out.push(block);
      if (endless) await c.proc.tick();
    }
    if (outPath !== undefined && outPath !== '/dev/null') {
      try {
        const prefix = seek && c.host.fs.stat(outPath, c.cwd) ? c.host.fs.readFile(outPath, c.cwd).subarray(0, seek * bs) : Buffer.alloc(0);
        c.host.fs.writeFile(outPath, Buffer.concat([prefix, Buffer.alloc(Math.max(0, seek * bs - prefix.length)), ...out]), { cwd: c.cwd });
      } catch (e) {
        c.io.err.write(`dd: can't open '${outPath}': ${e instanceof FsError ? e.message : (e as Error).message}\n`);
        return 1;
      }
    }
    if (ops.get('status') !== 'none') {
      const secs = Math.max((Date.now() - started) / 1000, 0.000001);
      c.io.err.write(
        `${full}+${partial} records in\n${full}+${partial} records out\n${bytes} bytes (${human(bytes)}) copied, ${secs.toFixed(6)} seconds, ${human(Math.round(bytes / secs))}/s\n`,
      );
    }
    return 0;
  } finally {
    c.host.allocate?.(-bs);
  }
});

/** mount: list the container's mounts; mount --bind SRC DST (needs SYS_ADMIN) for a source behind a host mount. */
def(['mount'], async (c) => {
  const args = c.argv.slice(1);
  const fs = c.host.fs;
  if (!args.length || (args.length === 1 && args[0] === '-l')) {
    const rows = [
      `overlay on / type overlay (${fs.readonlyRootfs ? 'ro' : 'rw'},relatime)`,
      'proc on /proc type proc (rw,nosuid,nodev,noexec,relatime)',
      'tmpfs on /dev type tmpfs (rw,nosuid,size=65536k,mode=755)',
      `sysfs on /sys type sysfs (${hasCap(c.host, 'SYS_ADMIN') ? 'rw' : 'ro'},nosuid,nodev,noexec,relatime)`,
      ...[...fs.mounts]
        .reverse()
        .map((m) => `${m.hostPath} on ${m.containerPath} type bind (${m.readonly ? 'ro' : 'rw'}${(m.options ?? []).map((o) => `,${o}`).join('')})`),
    ];
    c.io.out.write(rows.join('\n') + '\n');
    return 0;
  }
  let bind = false;
  let readonly = false;
  let type: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--bind' || a === '--rbind' || a === '-B') bind = true;
    else if (a === '-o')
      for (const o of (args[++i] ?? '').split(',')) {
        if (o === 'bind' || o === 'rbind') bind = true;
        if (o === 'ro') readonly = true;
      }
    else if (a === '-t') type = args[++i];
    else if (a === '-r') readonly = true;
    else rest.push(a);
  }
  if (rest.length !== 2) {
    c.io.err.write('mount: usage: mount [-r] [-t TYPE] [-o OPTS] DEVICE DIR\n');
    return 1;
  }
  const denied = syscall(c, 'mount');
  if (denied && denied !== 'Operation not permitted') {
    c.io.err.write(`mount: mounting ${rest[0]} on ${rest[1]} failed: ${denied}\n`);
    return 255;
  }
  if (denied || !hasCap(c.host, 'SYS_ADMIN')) {
    c.io.err.write('mount: permission denied (are you root?)\n');
    return 255;
  }
  const [src, dst] = rest;
  if (fs.stat(dst, c.cwd)?.type !== 'dir') {
    c.io.err.write(`mount: mounting ${src} on ${dst} failed: No such file or directory\n`);
    return 255;
  }
  if (!bind) {
    c.io.err.write(`mount: mounting ${src} on ${dst} failed: ${type ?? 'this'} file systems are not simulated (only bind mounts)\n`);
    return 255;
  }
  const from = fs.locate(src, c.cwd);
  if (!fs.stat(src, c.cwd)) {
    c.io.err.write(`mount: mounting ${src} on ${dst} failed: No such file or directory\n`);
    return 255;
  }
  const at = posix.resolve(c.cwd, dst);
  // a path under a volume binds the real host path; one of the in-memory rootfs stays inside the container
  if (from.where === 'host') fs.bind({ containerPath: at, hostPath: from.hostPath, readonly: readonly || from.readonly });
  else fs.bindMem(at, from.path, readonly || from.readonly);
  return 0;
});

/** ipcs [-m|-q|-s]: System V IPC objects; a pod has none of its own, a host-IPC pod sees the node's. */
def(['ipcs'], async (c) => {
  const { rest } = { rest: c.argv.slice(1) };
  const want = new Set(rest.filter((a) => /^-[mqs]$/.test(a)).map((a) => a[1]));
  const all = want.size === 0;
  const nodeRows = (file: string): string[][] => {
    if (!c.host.hostIpc) return [];
    try {
      return readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/));
    } catch {
      return [];
    }
  };
  const hex = (k: string) => `0x${(Number(k) >>> 0).toString(16).padStart(8, '0')}`;
  const col = (s: string | number) => String(s).padEnd(11);
  const out: string[] = [];
  if (all || want.has('m')) {
    // /proc/sysvipc/shm: key shmid perms size cpid lpid nattch uid gid …
    out.push('', '------ Shared Memory Segments --------', 'key        shmid      owner      perms      bytes      nattch     status      ');
    for (const r of nodeRows('/proc/sysvipc/shm')) out.push([hex(r[0]), r[1], r[7], Number(r[2]).toString(8), r[3], r[6]].map(col).join(''));
  }
  if (all || want.has('s')) {
    out.push('', '------ Semaphore Arrays --------', 'key        semid      owner      perms      nsems     ');
    for (const r of nodeRows('/proc/sysvipc/sem')) out.push([hex(r[0]), r[1], r[4], Number(r[2]).toString(8), r[3]].map(col).join(''));
  }
  if (all || want.has('q')) {
    out.push('', '------ Message Queues --------', 'key        msqid      owner      perms      used-bytes   messages    ');
    for (const r of nodeRows('/proc/sysvipc/msg')) out.push([hex(r[0]), r[1], r[9], Number(r[2]).toString(8), r[3], r[4]].map(col).join(''));
  }
  c.io.out.write(out.join('\n') + '\n\n');
  return 0;
});

/** netstat [-l] [-n] [-t] [-u] [-a]: the pod's listening TCP ports (the simulator has no live connections to show). */
def(['netstat'], async (c) => {
  const f = new Set(
    c.argv
      .slice(1)
      .filter((a) => a.startsWith('-'))
      .flatMap((a) => [...a.slice(1)]),
  );
  const udpOnly = f.has('u') && !f.has('t');
  const row = (proto: string, local: string, foreign: string) => `${proto.padEnd(5)}      0      0 ${local.padEnd(23)} ${foreign.padEnd(23)} LISTEN      `;
  // A host-network pod is in the node's network namespace: its listening sockets are the node's.
  const rows = udpOnly
    ? []
    : c.host.hostNetwork
      ? [...nodeListeners('/proc/net/tcp', 'tcp'), ...nodeListeners('/proc/net/tcp6', 'tcp6')].map((l) =>
          row(l.proto, l.local, l.proto === 'tcp' ? '0.0.0.0:*' : ':::*'),
        )
      : Object.keys(c.host.ports.forwards())
          .map(Number)
          .sort((a, b) => a - b)
          .map((p) => row('tcp', `0.0.0.0:${p}`, '0.0.0.0:*'));
  c.io.out.write(
    [
      `Active Internet connections (${f.has('l') ? 'only servers' : f.has('a') ? 'servers and established' : 'w/o servers'})`,
      'Proto Recv-Q Send-Q Local Address           Foreign Address         State       ',
      ...(f.has('l') || f.has('a') ? rows : []),
    ].join('\n') + '\n',
  );
  return 0;
});

/** Listening sockets in a /proc/net/tcp{,6} table of the node (state 0A), as netstat -n prints them. */
function nodeListeners(file: string, proto: string): Array<{ proto: string; local: string }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: Array<{ proto: string; local: string }> = [];
  for (const line of text.trim().split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] !== '0A') continue;
    const [addrHex, portHex] = f[1].split(':');
    const port = parseInt(portHex, 16);
    let addr: string;
    if (addrHex.length === 8) addr = [3, 2, 1, 0].map((i) => parseInt(addrHex.slice(i * 2, i * 2 + 2), 16)).join('.');
    else {
      const full = addrHex
        .match(/.{8}/g)!
        .map((w) => w.match(/../g)!.reverse().join(''))
        .join('')
        .match(/.{4}/g)!
        .join(':');
      addr = new URL(`http://[${full}]/`).hostname.slice(1, -1); // the shortest form, as inet_ntop
    }
    out.push({ proto, local: addr.includes(':') ? `${addr === '::' ? ':::' : `${addr}:`}${port}` : `${addr}:${port}` });
  }
  return out;
}

/** brctl addbr|delbr|show: bridges of the container's network namespace; changing them needs NET_ADMIN. */
def(['brctl'], async (c) => {
  const [cmd, name] = c.argv.slice(1);
  const bridges = (c.host.bridges ??= new Set());
  if (cmd === 'show' || cmd === undefined) {
    c.io.out.write(
      ['bridge name\tbridge id\t\tSTP enabled\tinterfaces', ...[...bridges].sort().map((b) => `${b}\t\t8000.000000000000\tno\t\t`)].join('\n') + '\n',
    );
    return 0;
  }
  if ((cmd !== 'addbr' && cmd !== 'delbr') || !name) {
    c.io.err.write('brctl: usage: brctl addbr|delbr BRIDGE | show\n');
    return 1;
  }
  if (!hasCap(c.host, 'NET_ADMIN')) {
    c.io.err.write(`brctl: bridge ${name}: Operation not permitted\n`);
    return 1;
  }
  if (cmd === 'addbr') {
    if (bridges.has(name)) {
      c.io.err.write(`brctl: bridge ${name}: File exists\n`);
      return 1;
    }
    bridges.add(name);
  } else if (!bridges.delete(name)) {
    c.io.err.write(`brctl: bridge ${name}: No such device or address\n`);
    return 1;
  }
  return 0;
});

function pingTarget(c: ProgramCtx, host: string): { ip: string; local: boolean } | undefined {
  if (host === 'localhost' || /^127\./.test(host)) return { ip: host === 'localhost' ? '127.0.0.1' : host, local: true };
  if (host === c.host.hostname) return { ip: c.host.ips[0] ?? '127.0.0.1', local: true };
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return { ip: host, local: c.host.ips.includes(host) };
  return undefined;
}

/**
 * ping [-c COUNT] [-i SECS] [-w SECS] HOST: needs NET_RAW (raw ICMP socket). Addresses of the pod
 * itself answer; nothing else does (the pod network is simulated), so those echo requests are lost.
 */
def(['ping'], async (c) => {
  const args = c.argv.slice(1);
  let count = Infinity;
  let interval = 1;
  let deadline = Infinity;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^-([ciwWsq])(.*)$/.exec(args[i]);
    if (!m) {
      rest.push(args[i]);
      continue;
    }
    if (m[1] === 'q') continue;
    const v = Number(m[2] || args[++i]);
    if (!Number.isFinite(v)) {
      c.io.err.write(`ping: invalid number '${m[2] || args[i]}'\n`);
      return 1;
    }
    if (m[1] === 'c') count = v;
    else if (m[1] === 'i') interval = v;
    else if (m[1] === 'w') deadline = v;
  }
  const host = rest[0];
  if (!host) {
    c.io.err.write('ping: usage: ping [-c COUNT] [-i SECS] [-w SECS] HOST\n');
    return 1;
  }
  const t = pingTarget(c, host);
  if (!t) {
    c.io.err.write(`ping: bad address '${host}'\n`);
    return 1;
  }
  c.io.out.write(`PING ${host} (${t.ip}): 56 data bytes\n`);
  if (!hasCap(c.host, 'NET_RAW')) {
    c.io.err.write('ping: permission denied (are you root?)\n');
    return 1;
  }
  const started = Date.now();
  let sent = 0;
  let received = 0;
  const rtts: number[] = [];
  try {
    while (sent < count && (Date.now() - started) / 1000 < deadline) {
      if (sent > 0) await c.proc.sleep(interval * 1000);
      if (t.local) {
        // The reply's time is a real round trip through the event loop (the simulated loopback).
        const t0 = process.hrtime.bigint();
        await c.proc.race(new Promise<void>((r) => setImmediate(r)));
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        rtts.push(ms);
        c.io.out.write(`64 bytes from ${t.ip}: seq=${sent} ttl=64 time=${ms.toFixed(3)} ms\n`);
        received++;
      }
      sent++;
    }
  } finally {
    const loss = sent ? Math.round((100 * (sent - received)) / sent) : 0;
    c.io.out.write(`\n--- ${host} ping statistics ---\n${sent} packets transmitted, ${received} packets received, ${loss}% packet loss\n`);
    if (received)
      c.io.out.write(
        `round-trip min/avg/max = ${[Math.min(...rtts), rtts.reduce((a, b) => a + b, 0) / rtts.length, Math.max(...rtts)].map((x) => x.toFixed(3)).join('/')} ms\n`,
      );
  }
  return received ? 0 : 1;
});
