// memory-cri's process simulator: the shell (quoting, expansion, && || ;, redirects, loops,
// if/for, subshells, set -e, traps) and the programs, directly; then through the runtime over
// the socket: file IO against real host directories behind mounts, read-only mounts and
// rootfs, an init container waiting for a file another container writes, env/hostname/id.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerState } from '../../interfaces/gen/cri/api.js';
import {
  BufferSink,
  busyboxExecutables,
  ContainerFs,
  inputOf,
  PortTable,
  resolveArgv,
  SimProcess,
  spawn,
  type Host,
} from '../../plugins/memory-cri/sim/index.js';
import { parse } from '../../plugins/memory-cri/sim/parser.js';
import { tokenize } from '../../plugins/memory-cri/sim/tokenizer.js';
import { ctrConfig, podConfig, startTestRuntime, waitFor, type TestRuntime } from '../../plugins/memory-cri/testing.js';

const t = suite('memory-cri: process simulator');
let h: TestRuntime;

function host(opts: { mounts?: Array<{ containerPath: string; hostPath: string; readonly: boolean }>; ro?: boolean } = {}): Host {
  return {
    fs: new ContainerFs({ executables: busyboxExecutables(), mounts: opts.mounts, readonlyRootfs: opts.ro }),
    hostname: 'sim-pod',
    ips: ['10.9.0.7'],
    ports: new PortTable(),
    user: { uid: 1000, gid: 2000, groups: [3000], name: 'app', group: 'app' },
  };
}

async function sh(script: string, o: { env?: Record<string, string>; host?: Host; stdin?: string; killAfterMs?: number } = {}) {
  const hst = o.host ?? host();
  const env = new Map(Object.entries({ PATH: '/bin', HOME: '/root', ...(o.env ?? {}) }));
  const r = resolveArgv(['sh', '-c', script], hst, env, '/');
  if (!r.ok) throw new Error(r.message);
  const out = new BufferSink();
  const err = new BufferSink();
  const proc = new SimProcess();
  hst.init = proc;
  if (o.killAfterMs !== undefined) setTimeout(() => proc.kill('TERM'), o.killAfterMs);
  const res = await spawn({ resolved: r, env, cwd: '/', host: hst, io: { stdin: inputOf(o.stdin ?? ''), out, err }, proc });
  return { code: res.exitCode, out: out.toString(), err: err.toString() };
}

t.before(async () => {
  h = await startTestRuntime();
  await h.client.image.pullImage({ image: { image: 'busybox:1.36' } });
});
t.after(async () => {
  await h?.close();
});

t('tokenizer and parser: quotes, expansions, operators, reserved words; syntax errors exit 2', async () => {
  const toks = tokenize(`echo 'a b' "c $X" d\\ e 2>&1 >>f; x && y || z &`);
  assert.equal(
    toks.map((k) => k.t),
    ['word', 'word', 'word', 'word', 'redir', 'word', 'redir', 'word', 'op', 'word', 'op', 'word', 'op', 'word', 'op'],
  );
  assert.is(parse('while true; do echo; done').k, 'list');
  const bad = await sh('if true; then echo x');
  assert.is(bad.code, 2);
  assert.match(bad.err, /syntax error: unexpected end of file/);
  assert.match((await sh('echo done; done')).err, /unexpected "done"/);
});

t('echo, printf, quoting and $VAR / ${VAR} / ${VAR:-x} / ${#VAR} / $? / $(…) / $((…)) expansion', async () => {
  const r = await sh(
    `echo -n "no newline|"; echo "$GREETING, \${WHO:-world}" '$NOT' \${#GREETING}; printf '%s=%d\\n' a 1 b 2; printf '%05.1f|%-3s|%x\\n' 3.14159 ab 255; false; echo $?; echo $(echo sub) $((2 * (3 + 4)))`,
    { env: { GREETING: 'hello' } },
  );
  assert.is(r.out, 'no newline|hello, world $NOT 5\na=1\nb=2\n003.1|ab |ff\n1\nsub 14\n');
  const split = await sh('for w in $WORDS; do echo "[$w]"; done; for w in "$WORDS"; do echo "[$w]"; done', { env: { WORDS: 'one  two' } });
  assert.is(split.out, '[one]\n[two]\n[one  two]\n');
});

t('; && || ! and exit codes; set -e stops at the first failure; exit N', async () => {
  assert.is((await sh('false || echo a && echo b; true && false; echo $?')).out, 'a\nb\n1\n');
  assert.is((await sh('! false && echo negated')).out, 'negated\n');
  const e = await sh('set -e; echo one; false; echo never');
  assert.is(e.out, 'one\n');
  assert.is(e.code, 1);
  assert.is((await sh('exit 42')).code, 42);
  assert.is((await sh('(exit 4); echo $?')).out, '4\n');
  assert.is((await sh('false')).code, 1);
});

t('unknown commands: "not found" and 127; `test`/`[` file, string and number checks', async () => {
  const r = await sh('nosuchcmd arg; echo $?');
  assert.is(r.out, '127\n');
  assert.is(r.err, 'sh: nosuchcmd: not found\n');
  const tst = await sh(
    '[ -d /tmp ] && echo d; test -f /tmp || echo notfile; [ -e /nope ] || echo absent; [ "a" = "a" ] && echo eq; [ 3 -lt 10 ] && echo lt; test -z "" && echo empty; [ -n x -a 1 -eq 1 ] && echo and',
  );
  assert.is(tst.out, 'd\nnotfile\nabsent\neq\nlt\nempty\nand\n');
});

t('redirects > >> < 2>&1 &> and pipes; files of the in-memory rootfs', async () => {
  const r = await sh(
    'echo one > /tmp/f; echo two >> /tmp/f; cat /tmp/f; wc -l < /tmp/f; echo err >&2 2>/dev/null; ls /nope 2>&1 | grep -c "No such"; echo x &> /tmp/g; cat /tmp/g; cat /tmp/f | head -n 1',
  );
  assert.is(r.out, 'one\ntwo\n2\n1\nx\none\n');
  assert.is(r.err, 'err\n');
  const c = await sh('echo > /no/such/dir/file');
  assert.is(c.code, 1);
  assert.match(c.err, /can't create \/no\/such\/dir\/file: nonexistent directory/);
});

t('while/until/for/if, arithmetic counters, read from stdin', async () => {
  const r = await sh(
    'i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo $i; done; until [ $i -eq 0 ]; do i=$((i-1)); done; for x in a b; do if [ $x = a ]; then echo A; elif [ $x = b ]; then echo B; else echo C; fi; done; echo end $i',
  );
  assert.is(r.out, '1\n2\n3\nA\nB\nend 0\n');
  const rd = await sh('while read a b; do echo "$b-$a"; done', { stdin: 'x y\nz w\n' });
  assert.is(rd.out, 'y-x\nw-z\n');
});

t('env, hostname, id -u / -g / id, whoami, pwd, cd, export', async () => {
  const r = await sh('export EXTRA=1; env | grep -E "^(FOO|EXTRA)=" | sort; hostname; hostname -i; id -u; id -g; id; whoami; cd /tmp && pwd', {
    env: { FOO: 'bar' },
  });
  assert.is(r.out, 'EXTRA=1\nFOO=bar\nsim-pod\n10.9.0.7\n1000\n2000\nuid=1000(app) gid=2000(app) groups=2000(app),3000\napp\n/tmp\n');
});

t('touch, mkdir -p, rm -f, ls; readonly rootfs refuses writes with "Read-only file system"', async () => {
  const r = await sh('mkdir -p /tmp/a/b && touch /tmp/a/b/f && ls /tmp/a/b; rm -f /tmp/a/b/nope; rm /tmp/a/b/nope; mkdir /tmp/a; rm -r /tmp/a; ls /tmp/a');
  assert.is(r.out, 'f\n');
  assert.match(r.err, /rm: can't remove '\/tmp\/a\/b\/nope': No such file or directory/);
  assert.match(r.err, /mkdir: can't create directory '\/tmp\/a': File exists/);
  assert.match(r.err, /ls: \/tmp\/a: No such file or directory/);
  const ro = await sh('touch /x; echo > /tmp/y; mkdir /z; echo ok > /dev/null && echo devnull-ok', { host: host({ ro: true }) });
  assert.match(ro.err, /touch: \/x: Read-only file system/);
  assert.match(ro.err, /can't create \/tmp\/y: Read-only file system/);
  assert.match(ro.err, /mkdir: can't create directory '\/z': Read-only file system/);
  assert.is(ro.out, 'devnull-ok\n');
});

t('mounts: real host files behind containerPath; read-only mounts refuse writes', async () => {
  const dir = join(h.dir, 'vol-unit');
  mkdirSync(dir);
  writeFileSync(join(dir, 'input.txt'), 'from the host\n');
  const hs = host({
    mounts: [
      { containerPath: '/data', hostPath: dir, readonly: false },
      { containerPath: '/ro', hostPath: dir, readonly: true },
    ],
  });
  const r = await sh(
    'cat /data/input.txt; echo written > /data/out.txt; mkdir -p /data/sub/dir; touch /data/sub/dir/t; cat /ro/out.txt; echo x > /ro/nope; touch /ro/nope2; ls /',
    { host: hs },
  );
  assert.is(readFileSync(join(dir, 'out.txt'), 'utf8'), 'written\n');
  assert.ok(existsSync(join(dir, 'sub/dir/t')));
  assert.not.ok(existsSync(join(dir, 'nope')));
  assert.match(r.out, /^from the host\nwritten\n/);
  assert.match(r.out, /\ndata\n/);
  assert.match(r.err, /can't create \/ro\/nope: Read-only file system/);
  assert.match(r.err, /touch: \/ro\/nope2: Read-only file system/);
});

t("sleep is cancellable: TERM ends it with 143; trap handlers and trap '' work; KILL ends a busy loop", async () => {
  const t0 = Date.now();
  const r = await sh('sleep 100', { killAfterMs: 50 });
  assert.is(r.code, 143);
  assert.ok(Date.now() - t0 < 2000);
  const trap = await sh("trap 'echo bye; exit 3' TERM; echo up; sleep 100", { killAfterMs: 50 });
  assert.equal([trap.code, trap.out], [3, 'up\nbye\n']);
  const ign = await sh("trap '' TERM; sleep 0.2; echo survived", { killAfterMs: 20 });
  assert.equal([ign.code, ign.out], [0, 'survived\n']);
  const hs = host();
  const env = new Map([['PATH', '/bin']]);
  const r2 = resolveArgv(['sh', '-c', 'while true; do :; done'], hs, env, '/');
  assert.ok(r2.ok);
  const proc = new SimProcess();
  setTimeout(() => proc.kill('KILL'), 50);
  const res = await spawn({
    resolved: r2 as Extract<typeof r2, { ok: true }>,
    env,
    cwd: '/',
    host: hs,
    io: { stdin: inputOf(''), out: new BufferSink(), err: new BufferSink() },
    proc,
  });
  assert.is(res.exitCode, 137);
});

t('background jobs: $! and wait; a job dies with its parent', async () => {
  const r = await sh('(sleep 0.05; echo bg) & echo fg; wait; echo after');
  assert.is(r.out, 'fg\nbg\nafter\n');
  const hs = host();
  const t0 = Date.now();
  const r2 = await sh('sleep 100 & exit 5', { host: hs });
  assert.is(r2.code, 5);
  assert.ok(Date.now() - t0 < 2000, 'the background sleep did not keep the process alive');
});

t('through the runtime: volume IO, env and identity, an init container waits for a file another writes', async () => {
  const vol = join(h.dir, 'shared');
  mkdirSync(vol);
  const cfg = podConfig({ logDirectory: join(h.dir, 'logs') });
  const { podSandboxId } = await h.client.runtime.runPodSandbox({ config: cfg });
  const mounts = [{ containerPath: '/work', hostPath: vol }];
  const waiter = (
    await h.client.runtime.createContainer({
      podSandboxId,
      sandboxConfig: cfg,
      config: ctrConfig(
        'init',
        [
          'sh',
          '-c',
          'until test -f /work/ready; do sleep 0.05; done; cat /work/ready > /work/seen; echo "$GREETING $(id -u):$(id -g) $(hostname)" >> /work/seen',
        ],
        {
          image: { image: 'busybox:1.36' },
          mounts,
          envs: [{ key: 'GREETING', value: Buffer.from('hi') }],
          linux: { securityContext: { runAsUser: { value: 1234n }, runAsGroup: { value: 99n } } },
        },
      ),
    })
  ).containerId;
  await h.client.runtime.startContainer({ containerId: waiter });
  await new Promise((r) => setTimeout(r, 200));
  assert.is((await h.client.runtime.containerStatus({ containerId: waiter })).status!.state, ContainerState.CONTAINER_RUNNING, 'still waiting');
  const writer = (
    await h.client.runtime.createContainer({
      podSandboxId,
      sandboxConfig: cfg,
      config: ctrConfig('writer', ['sh', '-c', 'echo go > /work/ready'], { image: { image: 'busybox:1.36' }, mounts }),
    })
  ).containerId;
  await h.client.runtime.startContainer({ containerId: writer });
  const s = await waitFor(
    async () => {
      const st = (await h.client.runtime.containerStatus({ containerId: waiter })).status!;
      return st.state === ContainerState.CONTAINER_EXITED ? st : undefined;
    },
    5000,
    'the init container to finish',
  );
  assert.is(s.exitCode, 0);
  assert.is(readFileSync(join(vol, 'seen'), 'utf8'), `go\nhi 1234:99 ${cfg.hostname}\n`);
});

t('through the runtime: a readonly mount and readonlyRootfs refuse writes (the container fails)', async () => {
  const vol = join(h.dir, 'ro-vol');
  mkdirSync(vol);
  const cfg = podConfig({ logDirectory: join(h.dir, 'logs') });
  const { podSandboxId } = await h.client.runtime.runPodSandbox({ config: cfg });
  const run = async (name: string, script: string, over: object) => {
    const id = (
      await h.client.runtime.createContainer({
        podSandboxId,
        sandboxConfig: cfg,
        config: ctrConfig(name, ['sh', '-c', script], { image: { image: 'busybox:1.36' }, ...over }),
      })
    ).containerId;
    await h.client.runtime.startContainer({ containerId: id });
    const st = await waitFor(async () => {
      const x = (await h.client.runtime.containerStatus({ containerId: id })).status!;
      return x.state === ContainerState.CONTAINER_EXITED ? x : undefined;
    });
    return { st, log: readFileSync(st.logPath, 'utf8') };
  };
  const ro = await run('ro', 'echo x > /cfg/file', { mounts: [{ containerPath: '/cfg', hostPath: vol, readonly: true }] });
  assert.is(ro.st.exitCode, 1);
  assert.match(ro.log, /stderr F sh: can't create \/cfg\/file: Read-only file system/);
  assert.not.ok(existsSync(join(vol, 'file')));
  const rootfs = await run('rootfs', 'touch /etc/x || exit 9; echo fine > /scratch/ok', {
    mounts: [{ containerPath: '/scratch', hostPath: vol }],
    linux: { securityContext: { readonlyRootfs: true } },
  });
  assert.is(rootfs.st.exitCode, 9);
  const ok = await run('rootfs-ok', 'echo fine > /scratch/ok', {
    mounts: [{ containerPath: '/scratch', hostPath: vol }],
    linux: { securityContext: { readonlyRootfs: true } },
  });
  assert.is(ok.st.exitCode, 0);
  assert.is(readFileSync(join(vol, 'ok'), 'utf8'), 'fine\n');
  // A host path that does not exist yet is created as a directory (containerd's behaviour).
  await run('mkhost', 'echo y > /new/y', { mounts: [{ containerPath: '/new', hostPath: join(h.dir, 'created-by-runtime') }] });
  assert.is(readFileSync(join(h.dir, 'created-by-runtime', 'y'), 'utf8'), 'y\n');
});

t.run();
