// Every CLI command, in the order `triad --help` lists them. A command's module (and all it
// imports: the kubelet, the plugins, the generated gRPC code) loads only when that command runs;
// its name, help term and description live here so `triad --help` lists every command without
// loading any. test/cli-commands.test.ts checks these against what each module registers.
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export interface CommandEntry {
  name: string;
  /** How `--help` shows it: name, [options] when it has any, its arguments. */
  term: string;
  description: string;
  load: () => Promise<{ register: Register }>;
}

export const commands: CommandEntry[] = [
  {
    name: 'run',
    term: 'run [options] <files...>',
    description:
      'run pods from manifests through the whole sequence and show their status and timeline; waits until each pod is Ready (restartPolicy Always) or finished (Never/OnFailure)',
    load: () => import('./run.js'),
  },
  {
    name: 'kubelet',
    term: 'kubelet [options]',
    description: 'run the harness kubelet as a daemon (control API on <stateDir>/triad.sock)',
    load: () => import('./kubelet.js'),
  },
  {
    name: 'get',
    term: 'get [options] <resource> [name]',
    description: 'list pods as `kubectl get pods` does (NAME READY STATUS RESTARTS AGE IP)',
    load: () => import('./get.js'),
  },
  {
    name: 'describe',
    term: 'describe [options] <resource> [name]',
    description: 'show a pod in detail: spec summary, container states, conditions, volumes, events',
    load: () => import('./describe.js'),
  },
  { name: 'logs', term: 'logs [options] <pod>', description: "print a container's logs (decoded from the CRI log format)", load: () => import('./logs.js') },
  {
    name: 'exec',
    term: 'exec [options] <pod> <cmd...>',
    description: "run a command in a container of a pod (the exit code is the command's)",
    load: () => import('./exec.js'),
  },
  {
    name: 'attach',
    term: 'attach [options] <pod>',
    description: 'attach to the running main process of a container',
    load: async () => ({ register: (await import('./exec.js')).registerAttach }),
  },
  {
    name: 'port-forward',
    term: 'port-forward [options] <pod> <ports...>',
    description: 'forward local ports to ports of a pod until Ctrl-C',
    load: () => import('./port-forward.js'),
  },
  {
    name: 'delete',
    term: 'delete [options] [resource] [names...]',
    description: 'delete pods (full teardown: preStop, stop, sandbox, volumes) or claims',
    load: () => import('./delete.js'),
  },
  {
    name: 'timeline',
    term: 'timeline [options] <pod>',
    description: "a pod's creation waterfall: every step with its start and duration",
    load: () => import('./timeline.js'),
  },
  { name: 'serve', term: 'serve', description: 'serve one plugin on a unix socket until interrupted', load: () => import('./serve.js') },
  {
    name: 'proxy',
    term: 'proxy [options]',
    description: 'interpose on a CRI runtime or CSI driver: forward every call, inject faults, record a transcript',
    load: () => import('./proxy.js'),
  },
  {
    name: 'diff',
    term: 'diff [options] [files...]',
    description:
      'run the same pods on two configurations (triad.yaml A and B) through the interposer and show where their calls, answers and final pod status diverge',
    load: () => import('./diff.js'),
  },
  {
    name: 'conformance',
    term: 'conformance',
    description: "run conformance suites against a CRI runtime, CSI driver or CNI plugin (or, with `all`, triad's in-memory plugins)",
    load: () => import('./conformance.js'),
  },
  {
    name: 'fuzz',
    term: 'fuzz',
    description:
      'send generated call sequences (valid lifecycles, mutated) to a plugin and report crashes, hangs, wrong codes and broken answers as minimized replay files',
    load: () => import('./fuzz.js'),
  },
  { name: 'report', term: 'report', description: 'reports over many conformance runs', load: () => import('./report.js') },
  {
    name: 'sonobuoy',
    term: 'sonobuoy',
    description: 'run the conformance suites on every node of a cluster with Sonobuoy',
    load: () => import('./sonobuoy.js'),
  },
  { name: 'image', term: 'image', description: 'triad itself as a container image (for Sonobuoy plugins)', load: () => import('./image.js') },
  {
    name: 'new',
    term: 'new [options] <kind> <name>',
    description:
      "create a plugin project (its own repository) from triad's example plugin of that kind: src/, a test that runs the conformance suite and a pod under the harness, a README",
    load: () => import('./new.js'),
  },
  {
    name: 'reference',
    term: 'reference',
    description: 'the reference stack: private containerd (CRI) + bridge CNI + hostPath CSI driver + local registry, for real-plugin runs (root)',
    load: () => import('./reference.js'),
  },
];

/** The command that argv (after node and the script) asks for, if it names one; `help X` asks for X. */
export function requestedCommand(args: string[]): string | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return commands.some((c) => c.name === name) ? name : undefined;
}
