// memory-cni: a CNI plugin that networks nothing and allocates everything. ADD hands out an
// address from a host-local-like range and answers a full 1.1.0 result; no kernel state is
// touched, so it needs no root. The core is exported so an in-process runtime can call it
// without exec (invokeMemoryCni speaks the same env + stdin protocol as the binary).
//
// Error codes: bad config 7; full range 11 (TRY_AGAIN_LATER); CHECK with no allocation for the
// attachment 3 (UNKNOWN_CONTAINER: nothing of ours to clean up); CHECK whose prevResult does not
// hold our address 100 (plugin specific: ALLOCATION_MISMATCH); ADD of an interface name another
// container already has in the same CNI_NETNS 101 (plugin specific: INTERFACE_EXISTS); STATUS
// with an unwritable state dir 50 (PLUGIN_NOT_AVAILABLE); state I/O failures 5.
import { cniError, CniErrorCode, dispatch, formatIp, type CmdArgs, type DispatchOutput, type PluginFuncs, type Result } from '../../interfaces/cni/index.js';
import { parseMemoryConf } from './config.js';
import { applyFaults, type FaultOptions } from './faults.js';
import { allocate, claimInterface, findAllocation, probeWritable, release, releaseInterface, removeWhere } from './store.js';

export const MEMORY_CNI_TYPE = 'triad-memory';
export const MEMORY_CNI_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export const ALLOCATION_MISMATCH = 100;
export const INTERFACE_EXISTS = 101;

/** Locally administered unicast MAC derived from the IP (0a:58 + its last four bytes). */
export function macForIp(value: bigint): string {
  const bytes = [0x0a, 0x58, ...[24n, 16n, 8n, 0n].map((s) => Number((value >> s) & 0xffn))];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function createMemoryCni(opts: FaultOptions = {}): PluginFuncs {
  const setup = async (a: CmdArgs) => {
    const conf = parseMemoryConf(a.config);
    await applyFaults(conf.faults, a.command, a.containerID, opts);
    return conf;
  };
  return {
    versions: MEMORY_CNI_VERSIONS,
    about: `triad memory CNI plugin (type ${MEMORY_CNI_TYPE}): in-memory IPAM, no kernel networking`,

    async add(a): Promise<Result> {
      const conf = await setup(a);
      const owner = claimInterface(conf, a.netns, a.ifName, a.containerID);
      if (owner) throw cniError(INTERFACE_EXISTS, `interface ${a.ifName} already exists in ${a.netns}`, `it belongs to container ${owner}`);
      let al;
      try {
        al = allocate(conf, a.containerID, a.ifName);
      } catch (e) {
        releaseInterface(conf, a.netns, a.ifName, a.containerID);
        throw e;
      }
      return {
        cniVersion: '1.1.0',
        interfaces: [{ name: a.ifName, mac: macForIp(al.ip.value), sandbox: a.netns }],
        ips: [{ address: `${al.address}/${conf.subnet.prefix}`, gateway: formatIp(conf.gateway), interface: 0 }],
        routes: conf.routes,
        ...(conf.dns ? { dns: conf.dns } : {}),
      };
    },

    async check(a) {
      const conf = await setup(a);
      if (!a.prevResult) throw cniError(CniErrorCode.InvalidNetworkConfig, 'CHECK needs prevResult');
      const al = findAllocation(conf, a.containerID, a.ifName);
      if (!al) throw cniError(CniErrorCode.UnknownContainer, `no allocation for ${a.containerID}/${a.ifName} in network ${conf.network}`);
      const want = `${al.address}/${conf.subnet.prefix}`;
      const have = (a.prevResult.ips ?? []).map((i) => i.address);
      if (!have.includes(want)) {
        throw cniError(ALLOCATION_MISMATCH, `allocation ${want} of ${a.containerID}/${a.ifName} is not in prevResult`, `prevResult has [${have.join(', ')}]`);
      }
    },

    async del(a) {
      const conf = await setup(a);
      release(conf, a.containerID, a.ifName); // nothing allocated is fine: DEL is idempotent
      releaseInterface(conf, a.netns, a.ifName, a.containerID);
    },

    async gc(a) {
      const conf = await setup(a);
      const valid = new Set((a.validAttachments ?? []).map((v) => `${v.containerID}\u0000${v.ifname}`));
      removeWhere(conf, (al) => !valid.has(`${al.containerID}\u0000${al.ifName}`));
    },

    async status(a) {
      const conf = await setup(a);
      const problem = probeWritable(conf);
      if (problem) throw cniError(CniErrorCode.PluginNotAvailable, `state dir ${conf.stateDir} is not writable`, problem);
    },
  };
}

/** The plugin core for in-process callers (a hang fault does not keep the process alive). */
export const memoryCni: PluginFuncs = createMemoryCni();

/** Same protocol as the binary: CNI_* env and the config JSON in, stdout/exit code out. */
export function invokeMemoryCni(env: Record<string, string | undefined>, stdin: string): Promise<DispatchOutput> {
  return dispatch(memoryCni, env, stdin);
}
