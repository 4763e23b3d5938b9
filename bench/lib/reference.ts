// The reference stack (containerd + runc, the bridge CNI, the hostPath CSI driver), when another
// process has brought it up: the benchmark only uses it, never starts or stops it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { referenceStatus, type StackInfo } from '../../plugins/reference/index.js';

export interface ReferenceStack {
  stack: StackInfo;
  /** The triad.yaml the stack wrote, parsed (runtime containerd, network cni, storage). */
  raw: Record<string, unknown>;
  endpoint: string;
  image: string;
}

/** The running stack, or why it cannot be used. */
export async function findReference(): Promise<{ ref?: ReferenceStack; reason?: string }> {
  let st;
  try {
    st = await referenceStatus();
  } catch (e) {
    return { reason: `reference stack status failed: ${(e as Error).message}` };
  }
  if (!st.stack || st.stack.phase !== 'up') return { reason: 'reference stack not up' };
  if (!st.healthy) return { reason: `reference stack not healthy: ${st.problems.join('; ')}` };
  const s = st.stack;
  if (!s.containerd || !s.images) return { reason: 'reference stack has no containerd or images' };
  try {
    const raw = parseYaml(readFileSync(s.triadYaml, 'utf8')) as Record<string, unknown>;
    return { ref: { stack: s, raw, endpoint: s.containerd.endpoint, image: s.images.busybox } };
  } catch (e) {
    return { reason: `cannot read the stack's triad.yaml: ${(e as Error).message}` };
  }
}

/** The lock every user of the reference stack (and of the bridge plugin and netns) takes on this machine. */
export const REFERENCE_LOCK = '/tmp/triad-reference.lock';

/** Waits for the reference lock and holds it (a flock child) until the returned release is called. */
export async function takeReferenceLock(): Promise<() => void> {
  const p = spawn('flock', [REFERENCE_LOCK, 'sh', '-c', 'echo locked; exec cat'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((res, rej) => {
    p.once('error', rej);
    p.once('exit', (c) => rej(new Error(`flock ${REFERENCE_LOCK} exited ${c}`)));
    p.stdout.once('data', () => res());
  });
  return () => p.stdin.end();
}
