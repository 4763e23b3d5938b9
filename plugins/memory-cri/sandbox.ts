// Pod sandboxes: SANDBOX_READY once RunPodSandbox returns (network attached unless the pod uses
// the host network), SANDBOX_NOTREADY after StopPodSandbox (containers killed, network torn
// down, netns removed), gone after RemovePodSandbox (containers removed too). Stop and Remove
// of unknown ids succeed. A failed network setup leaves nothing behind.
import {
  ContainerEventType,
  NamespaceMode,
  PodSandboxState,
  Protocol,
  RuntimeServiceDefinition,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxFilter,
  type PortMapping,
  type PodSandboxStatus,
  type PodSandboxStatusResponse,
} from '../../interfaces/gen/cri/api.js';
import { alreadyExists, invalidArgument, notFound, unavailable, unknownError } from '../../interfaces/grpc/errors.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import { containerStatus, removeContainer, stopContainer } from './container.js';
import { createNetns, deleteNetns, exposeInNetns, exposeOnLoopback, isLoopbackV4, isRoot, netnsName, syntheticNetns, type NetworkRequest } from './network.js';
import type { MemoryRuntime } from './runtime.js';
import { PortTable } from './sim/index.js';
import { isHostNetwork } from './spec.js';
import { jsonInfo, matchLabels, newId, nowNs, serialized, Store, type SandboxRec } from './store.js';

let nextPid = 500;

export function sandboxStatus(rt: MemoryRuntime, sb: SandboxRec): DeepPartial<PodSandboxStatus> {
  const ready = sb.state === PodSandboxState.SANDBOX_READY;
  // containerd reports no IP for host-network pods, nor once the netns is closed (stopped).
  const ips = ready && !sb.hostNetwork ? sb.ips : [];
  const ns = sb.config.linux?.securityContext?.namespaceOptions;
  return {
    id: sb.id,
    metadata: sb.metadata,
    state: sb.state,
    createdAt: sb.createdAt,
    network: { ip: ips[0] ?? '', additionalIps: ips.slice(1).map((ip) => ({ ip })) },
    linux: {
      namespaces: {
        options: {
          network: ns?.network ?? NamespaceMode.POD,
          pid: ns?.pid ?? NamespaceMode.POD,
          ipc: ns?.ipc ?? NamespaceMode.POD,
          targetId: ns?.targetId ?? '',
          usernsOptions: ns?.usernsOptions,
        },
      },
    },
    labels: sb.config.labels,
    annotations: sb.config.annotations,
    runtimeHandler: sb.runtimeHandler,
  };
}

function verboseInfo(rt: MemoryRuntime, sb: SandboxRec): Record<string, string> {
  const ready = sb.state === PodSandboxState.SANDBOX_READY;
  return {
    info: jsonInfo({
      pid: ready ? sb.pid : 0,
      processStatus: ready ? 'running' : 'stopped',
      netNamespaceClosed: !ready,
      netns: sb.hostNetwork ? '' : sb.netns,
      netnsReal: !!sb.netnsCreated,
      image: rt.sandboxImage,
      runtimeHandler: sb.runtimeHandler,
      runtimeType: 'io.containerd.triad-memory.v1',
      simulated: true,
      runtimeSpec: {
        hostname: sb.hostNetwork ? rt.nodeHostname : sb.config.hostname || rt.nodeHostname,
        linux: { cgroupsPath: sb.config.linux?.cgroupParent ?? '', sysctl: sb.config.linux?.sysctls ?? {}, resources: sb.resources ?? {} },
        annotations: sb.config.annotations,
      },
      portMappings: sb.config.portMappings,
      /** Container port → where it really listens (the pod IP may not be routable from here). */
      portForwards: sb.ports.forwards(),
    }),
  };
}

/** container port → host port of the TCP mappings that have a host port. */
function hostPortsOf(mappings: PortMapping[] | undefined): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of mappings ?? [])
    if (p.hostPort > 0 && p.containerPort > 0 && (p.protocol ?? Protocol.TCP) === Protocol.TCP) out.set(p.containerPort, p.hostPort);
  return out;
}

export function sandboxSummary(sb: SandboxRec): DeepPartial<PodSandbox> {
  return {
    id: sb.id,
    metadata: sb.metadata,
    state: sb.state,
    createdAt: sb.createdAt,
    labels: sb.config.labels,
    annotations: sb.config.annotations,
    runtimeHandler: sb.runtimeHandler,
  };
}

export function listSandboxes(rt: MemoryRuntime, f: Partial<PodSandboxFilter> | undefined): SandboxRec[] {
  let list = [...rt.store.sandboxes.values()];
  if (f?.id) {
    const id = Store.filterId(rt.store.sandboxes, f.id);
    list = list.filter((s) => s.id === id);
  }
  if (f?.state) list = list.filter((s) => s.state === f.state!.state);
  return list.filter((s) => matchLabels(s.config.labels, f?.labelSelector));
}

export function sandboxOr404(rt: MemoryRuntime, id: string): SandboxRec {
  const sb = rt.store.sandbox(id);
  if (!sb) throw notFound(`an error occurred when try to find sandbox "${id}": not found`);
  return sb;
}

export function networkRequest(sb: SandboxRec): NetworkRequest {
  const proto = (p: Protocol) => (p === Protocol.UDP ? 'udp' : p === Protocol.SCTP ? 'sctp' : 'tcp');
  const dns = sb.config.dnsConfig;
  return {
    sandboxId: sb.id,
    podName: sb.metadata.name,
    podNamespace: sb.metadata.namespace,
    podUid: sb.metadata.uid,
    netns: sb.netns,
    // As containerd: only mappings with a host port go to the network.
    portMappings: (sb.config.portMappings ?? [])
      .filter((p) => p.hostPort > 0)
      .map((p) => ({ protocol: proto(p.protocol), containerPort: p.containerPort, hostPort: p.hostPort, hostIP: p.hostIp })),
    dns: dns ? { servers: [...dns.servers], searches: [...dns.searches], options: [...dns.options] } : undefined,
    annotations: { ...sb.config.annotations },
  };
}

/** Stop: kill the containers, close the pod's ports, mark NOTREADY, tear the network down. */
export async function stopSandbox(rt: MemoryRuntime, sb: SandboxRec): Promise<void> {
  await serialized(sb, async () => {
    await Promise.all(rt.store.containersOf(sb.id).map((c) => stopContainer(rt, c, 0)));
    await sb.ports.closeAll();
    if (sb.state === PodSandboxState.SANDBOX_READY) {
      sb.state = PodSandboxState.SANDBOX_NOTREADY;
      rt.emit(sb.id, sb.id, ContainerEventType.CONTAINER_STOPPED_EVENT);
    }
    if (sb.networkAttached && rt.network) {
      try {
        await rt.network.del(networkRequest(sb));
      } catch (e) {
        throw unknownError(`failed to destroy network for sandbox "${sb.id}": ${(e as Error).message}`);
      }
    }
    sb.networkAttached = false;
    if (sb.netnsCreated) {
      try {
        await deleteNetns(sb.netnsCreated);
      } catch (e) {
        throw unknownError(`failed to remove network namespace for sandbox "${sb.id}": ${(e as Error).message}`);
      }
      rt.netnsCreated.delete(sb.netnsCreated);
      sb.netnsCreated = undefined;
    }
  });
}

export async function removeSandbox(rt: MemoryRuntime, sb: SandboxRec): Promise<void> {
  await stopSandbox(rt, sb);
  await serialized(sb, async () => {
    if (!rt.store.sandboxes.has(sb.id)) return;
    for (const c of rt.store.containersOf(sb.id)) await removeContainer(rt, c);
    const last = sandboxStatus(rt, sb);
    rt.store.sandboxes.delete(sb.id);
    if (rt.store.names.get(sb.nameKey) === sb.id) rt.store.names.delete(sb.nameKey);
    rt.emit(sb.id, sb.id, ContainerEventType.CONTAINER_DELETED_EVENT, last);
  });
}

/**
 * Validate a PodSandboxConfig and bring the sandbox up: name reserved, netns, network attached,
 * READY, created/started events. A failure leaves nothing behind. (RunPodSandbox, RestorePod.)
 */
export async function createSandbox(
  rt: MemoryRuntime,
  config: PodSandboxConfig | undefined,
  runtimeHandler: string | undefined,
  signal?: AbortSignal,
): Promise<SandboxRec> {
  const md = config?.metadata;
  if (!config) throw invalidArgument('config is required');
  if (!md) throw invalidArgument('config.metadata is required');
  for (const f of ['name', 'namespace', 'uid'] as const) {
    if (!md[f]) throw invalidArgument(`config.metadata.${f} is required`);
  }
  // api.proto: run_as_group without run_as_user MUST be an error (containerd's words).
  const ssc = config.linux?.securityContext;
  if (ssc?.runAsGroup && !ssc.runAsUser) throw invalidArgument('failed to generate sandbox security context: user group is specified without user');
  const handler = runtimeHandler ?? '';
  if (handler && !rt.runtimeHandlers.includes(handler)) {
    throw notFound(`failed to get sandbox runtime: no runtime for "${handler}" is configured`);
  }
  const nameKey = `${md.name}_${md.namespace}_${md.uid}_${md.attempt}`;
  const holder = rt.store.names.get(nameKey);
  if (holder) throw alreadyExists(`failed to reserve sandbox name "${nameKey}": name "${nameKey}" is reserved for "${holder}"`);
  const id = newId();
  rt.store.names.set(nameKey, id);
  const hostNetwork = isHostNetwork(config.linux?.securityContext?.namespaceOptions);
  const sb: SandboxRec = {
    id,
    config,
    metadata: md,
    state: PodSandboxState.SANDBOX_READY,
    createdAt: nowNs(),
    runtimeHandler: handler,
    hostNetwork,
    netns: '',
    ips: [],
    networkAttached: false,
    pid: ++nextPid,
    ports: new PortTable(rt.listenHost, hostPortsOf(config.portMappings)),
    nameKey,
    overhead: config.linux?.overhead,
    resources: config.linux?.resources,
    lock: Promise.resolve(),
  };
  try {
    if (!hostNetwork) {
      if (rt.netns && isRoot()) {
        sb.netnsCreated = netnsName(id);
        rt.netnsCreated.add(sb.netnsCreated);
        try {
          sb.netns = await createNetns(sb.netnsCreated);
        } catch (e) {
          throw unknownError(`failed to create network namespace for sandbox "${id}": ${(e as Error).message}`);
        }
        const path = sb.netns;
        sb.ports.expose = (port, address) => exposeInNetns(path, port, address);
      } else {
        sb.netns = syntheticNetns(id);
      }
      if (rt.network) {
        sb.networkAttached = true;
        try {
          const { ips } = await rt.network.add(networkRequest(sb), { signal });
          sb.ips = ips;
          // a pod subnet on loopback: the pod's ports also answer on its IP, here on this machine
          const ip = ips[0];
          if (!sb.ports.expose && isLoopbackV4(ip)) sb.ports.expose = (port, address) => exposeOnLoopback(ip, port, address);
        } catch (e) {
          throw unknownError(`failed to setup network for sandbox "${id}": ${(e as Error).message}`);
        }
      }
    } else {
      // a host-network pod is in the node's network namespace: its ports are the node's (on loopback here)
      sb.ports.expose = (port, address) => exposeOnLoopback('127.0.0.1', port, address);
    }
    if (rt.closing) throw unavailable('memory-cri is shutting down');
  } catch (err) {
    // Nothing may leak: undo the network (best effort, as containerd's deferred cleanup) and the netns.
    if (sb.networkAttached && rt.network) await rt.network.del(networkRequest(sb)).catch(() => undefined);
    if (sb.netnsCreated) {
      await deleteNetns(sb.netnsCreated).catch(() => undefined);
      rt.netnsCreated.delete(sb.netnsCreated);
    }
    rt.store.names.delete(nameKey);
    throw err;
  }
  rt.store.sandboxes.set(id, sb);
  rt.emit(id, id, ContainerEventType.CONTAINER_CREATED_EVENT);
  rt.emit(id, id, ContainerEventType.CONTAINER_STARTED_EVENT);
  return sb;
}

export function sandboxService(rt: MemoryRuntime): ServiceImpl<typeof RuntimeServiceDefinition> {
  return {
    async runPodSandbox(req, ctx) {
      const md = req.config?.metadata;
      await rt.fault('RunPodSandbox', ctx, md?.name, md?.namespace, md?.uid, md ? `${md.namespace}/${md.name}` : undefined);
      const sb = await createSandbox(rt, req.config, req.runtimeHandler, ctx.signal);
      return { podSandboxId: sb.id };
    },

    async stopPodSandbox(req, ctx) {
      const peek = rt.store.sandboxes.get(req.podSandboxId);
      await rt.fault('StopPodSandbox', ctx, req.podSandboxId, ...(peek ? rt.sandboxTargets(peek) : []));
      const sb = rt.store.sandbox(req.podSandboxId);
      if (sb) await stopSandbox(rt, sb);
      return {};
    },

    async removePodSandbox(req, ctx) {
      const peek = rt.store.sandboxes.get(req.podSandboxId);
      await rt.fault('RemovePodSandbox', ctx, req.podSandboxId, ...(peek ? rt.sandboxTargets(peek) : []));
      const sb = rt.store.sandbox(req.podSandboxId);
      if (sb) await removeSandbox(rt, sb);
      return {};
    },

    async podSandboxStatus(req, ctx): Promise<DeepPartial<PodSandboxStatusResponse>> {
      const peek = rt.store.sandboxes.get(req.podSandboxId);
      await rt.fault('PodSandboxStatus', ctx, req.podSandboxId, ...(peek ? rt.sandboxTargets(peek) : []));
      const sb = sandboxOr404(rt, req.podSandboxId);
      return {
        status: sandboxStatus(rt, sb),
        info: req.verbose ? verboseInfo(rt, sb) : {},
        containersStatuses: rt.store.containersOf(sb.id).map((c) => containerStatus(rt, c)),
        timestamp: nowNs(),
      };
    },

    async listPodSandbox(req, ctx) {
      await rt.fault('ListPodSandbox', ctx);
      return { items: listSandboxes(rt, req.filter).map(sandboxSummary) };
    },

    async updatePodSandboxResources(req, ctx) {
      const peek = rt.store.sandboxes.get(req.podSandboxId);
      await rt.fault('UpdatePodSandboxResources', ctx, req.podSandboxId, ...(peek ? rt.sandboxTargets(peek) : []));
      const sb = sandboxOr404(rt, req.podSandboxId);
      if (req.overhead) sb.overhead = req.overhead;
      if (req.resources) sb.resources = req.resources;
      return {};
    },
  };
}
