// Executable entry of a broken CNI variant: cni-main.ts <variant> (see cni.ts).
import { brokenCniInProcess } from './cni.js';

const fn = brokenCniInProcess(process.argv[2] ?? '');
const chunks: Buffer[] = [];
if (!process.stdin.isTTY) for await (const c of process.stdin) chunks.push(c as Buffer);
const out = await fn(process.env as Record<string, string>, Buffer.concat(chunks).toString('utf8'));
if (out.stdout) process.stdout.write(out.stdout);
if (out.stderr) process.stderr.write(out.stderr);
process.exit(out.exitCode);
