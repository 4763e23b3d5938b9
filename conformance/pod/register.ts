// The pod suite's entry in the registry (conformance/suites.ts): `triad conformance pod` flags,
// how they become a suite (the harness node from a triad.yaml, or all in-memory without one), and
// the suite on the in-memory plugins for `triad conformance all`.
import { loadConfig } from '../../harness/config/config.js';
import type { RegisteredSuite } from '../suites.js';
import { podCases, podSuite } from './suite.js';

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

export const podRegistration: RegisteredSuite = {
  name: 'pod',
  description:
    'whole-pod conformance through the harness kubelet on the plugins a triad.yaml names: the CNI result is the IP CRI reports and the pod answers on it, CSI volumes are what the containers see, init containers run in order, deletion releases the IP, the mounts and the volumes',
  flags: [
    { flags: '--config <file>', description: 'triad.yaml naming the runtime, network and storage (default: $TRIAD_CONFIG, else every plugin in-memory)' },
    { flags: '--state-dir <dir>', description: "the suite node's kubelet state dir (default: a new temp dir, removed afterwards)" },
    { flags: '--image <ref>', description: "busybox-like image the pods run (default: busybox:1.36, from the config's runtime.containerd.registry when set)" },
    { flags: '--storage-class <name>', description: "class of the claims (default: the config's default class)" },
    { flags: '--ephemeral-driver <name>', description: 'CSI driver for inline ephemeral volumes (default: a memory driver of the config)' },
    { flags: '--cni-cache-dir <dir>', description: 'libcni result cache of the runtime (default: known for the memory runtime, else /var/lib/cni)' },
    { flags: '--ipam-dir <dir>', description: 'host-local style allocation dir of the pod network, <dataDir>/<network> (default: from the network config)' },
    { flags: '--port <n>', description: 'port the test pods serve HTTP on', default: '8080' },
  ],
  cases: () => podCases,
  async prepare(o) {
    const port = Number(str(o.port) ?? 8080);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('--port must be a port number');
    return {
      suite: podSuite({
        config: loadConfig(str(o.config) ?? (process.env.TRIAD_CONFIG || undefined)),
        stateDir: str(o.stateDir),
        image: str(o.image),
        storageClass: str(o.storageClass),
        ephemeralDriver: str(o.ephemeralDriver),
        cniCacheDir: str(o.cniCacheDir),
        ipamDir: str(o.ipamDir),
        port,
      }),
      dispose: async () => undefined,
    };
  },
  async inMemory() {
    return { suite: podSuite({ config: loadConfig() }), dispose: async () => undefined };
  },
};
