// `triad serve memory-cri --images FILE`: the served runtime pulls the file's images; a bad file
// stops the command with an error naming the file and the entry.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CriClient } from '../../interfaces/cri/client.js';
import { triadRoot } from '../../interfaces/util/root.js';
import { waitFor } from '../../plugins/memory-cri/testing.js';

const t = suite('triad serve memory-cri --images');
const root = triadRoot();
const main = join(root, 'cli/main.ts');
let dir: string;

t.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'triad-serve-images-'));
});
t.after(() => rmSync(dir, { recursive: true, force: true }));

t("serves the built-in and the file's images", async () => {
  const sock = join(dir, 'cri.sock');
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'serve', 'memory-cri', '--socket', sock, '--images', join(root, 'examples/images.yaml')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const client = new CriClient(`unix://${sock}`, { timeoutMs: 10_000 });
  try {
    await waitFor(() => existsSync(sock) || child.exitCode !== null, 30_000, 'the socket');
    assert.ok(existsSync(sock), `serve exited: ${stderr}`);
    const { imageRef } = await client.image.pullImage({ image: { image: 'registry.example.com/team/app:v1.2.0' } });
    assert.match(imageRef, /^sha256:[a-f0-9]{64}$/);
    assert.ok((await client.image.pullImage({ image: { image: 'busybox' } })).imageRef);
    const tags = (await client.image.listImages({})).images.flatMap((i) => i.repoTags);
    assert.ok(tags.includes('registry.example.com/team/app:v1.2.0') && tags.includes('docker.io/library/busybox:latest'), tags.join(' '));
  } finally {
    client.close();
    child.kill('SIGTERM');
    await exited;
  }
  assert.not.ok(existsSync(sock), 'the socket is removed on exit');
});

t('a bad images file stops it with the file, the entry and the field', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, '- repository: example.com/a\n  tags: ["1"]\n  executables: { /bin/x: nope }\n');
  const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', main, 'serve', 'memory-cri', '--socket', join(dir, 'x.sock'), '--images', bad], {
    cwd: root,
    timeout: 60_000,
  }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => e,
  );
  assert.is.not(r.code, 0);
  assert.ok(r.stderr.includes(`${bad}: images[0] (example.com/a): executables./bin/x: no simulated program "nope"`), r.stderr);
});

t.run();
