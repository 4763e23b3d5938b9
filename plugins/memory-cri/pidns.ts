// Which simulated processes a container sees (ps, pgrep, pidof, /proc/PID/cmdline), from its
// NamespaceOption.pid: CONTAINER — its own, its first process is PID 1; POD — every container
// of the sandbox, with the sandbox's pause as PID 1; NODE — every container on the runtime,
// with node pids; TARGET — the namespace of the container target_id names.
import { NamespaceMode, type ContainerConfig } from '../../interfaces/gen/cri/api.js';
import type { MemoryRuntime } from './runtime.js';
import type { Host, SimProcess } from './sim/index.js';
import type { ContainerRec } from './store.js';

export function pidNamespace(rt: MemoryRuntime, c: Pick<ContainerRec, 'id' | 'sandboxId' | 'config'>): NonNullable<Host['pidns']> {
  return () => {
    const running = (pred: (x: ContainerRec) => boolean) =>
      [...rt.store.containers.values()].filter((x) => pred(x) && x.proc && !x.proc.done).map((x) => x.proc!);
    const mode = modeOf(c.config);
    if (mode === NamespaceMode.NODE) return { roots: running(() => true), init: undefined };
    if (mode === NamespaceMode.TARGET) {
      const target = rt.store.containers.get(c.config.linux?.securityContext?.namespaceOptions?.targetId ?? '');
      if (target && target.id !== c.id) return pidNamespace(rt, target)();
    }
    if (mode === NamespaceMode.POD) return { roots: running((x) => x.sandboxId === c.sandboxId && modeOf(x.config) === NamespaceMode.POD), init: 'pause' };
    const self = rt.store.containers.get(c.id);
    const own: SimProcess[] = self?.proc && !self.proc.done ? [self.proc] : [];
    return { roots: own, init: own[0] };
  };
}

const modeOf = (config: ContainerConfig): NamespaceMode => config.linux?.securityContext?.namespaceOptions?.pid ?? NamespaceMode.POD;
