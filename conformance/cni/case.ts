// The CNI suite's capability labels and why a missing one makes a case not applicable.
/** Capability labels. */
export const CNI = {
  /** The network's cniVersion has CHECK (0.4.0+). */
  check: 'cni:CHECK',
  /** The plugin supports 1.1.0 (STATUS and GC). */
  statusGc: 'cni:STATUS+GC',
  /** Allocations are visible in a host-local style state dir. */
  ipamState: 'cni:ipam-state',
  /** Kernel checks in a real network namespace (--netns). */
  kernel: 'cni:netns',
  /** The plugin under test is a chained plugin. */
  chained: 'cni:chained',
  version: (v: string) => `cni:version:${v}`,
};

export function explainCniCapability(c: string): string {
  switch (c) {
    case CNI.check:
      return "the network's cniVersion is older than 0.4.0, which introduced CHECK";
    case CNI.statusGc:
      return 'the plugin does not support cniVersion 1.1.0, which introduced STATUS and GC';
    case CNI.ipamState:
      return "the plugin's allocations are not observable (no host-local style state dir: set dataDir, use host-local IPAM, or pass --ipam-state-dir)";
    case CNI.kernel:
      return 'kernel checks are off: the plugin is not tested in real network namespaces (pass --netns, as root, for plugins that create interfaces)';
    case CNI.chained:
      return 'the plugin under test is the first plugin of its list, not a chained one (pass --chained, or --plugin naming a later plugin of the list)';
    default:
      return c.startsWith('cni:version:') ? `the plugin does not support cniVersion ${c.slice(12)}` : `the plugin lacks ${c}`;
  }
}
