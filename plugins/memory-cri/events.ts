// GetContainerEvents (evented PLEG): every subscriber gets the container lifecycle events from
// the moment it subscribed — CREATED, STARTED, STOPPED, DELETED — each with the pod sandbox
// status and the statuses of the sandbox's containers at that moment. Like containerd, sandboxes
// produce events too (container_id = the sandbox id) when they are created, started, stopped
// and removed.
import { ContainerEventType, RuntimeServiceDefinition, type ContainerEventResponse } from '../../interfaces/gen/cri/api.js';
import type { ServiceImpl } from '../../interfaces/grpc/server.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import type { MemoryRuntime } from './runtime.js';

export { ContainerEventType };

type Event = DeepPartial<ContainerEventResponse>;

/** Events kept for a subscriber that does not read; older ones are dropped past this. */
const MAX_QUEUE = 10_000;

interface Sub {
  queue: Event[];
  wake?: () => void;
  closed: boolean;
}

export class EventBus {
  private readonly subs = new Set<Sub>();
  private closed = false;

  get subscribers(): number {
    return this.subs.size;
  }

  publish(ev: Event): void {
    for (const s of this.subs) {
      s.queue.push(ev);
      if (s.queue.length > MAX_QUEUE) s.queue.shift();
      s.wake?.();
    }
  }

  /** Events until signal aborts or the bus closes. */
  async *subscribe(signal: AbortSignal): AsyncGenerator<Event> {
    const sub: Sub = { queue: [], closed: this.closed };
    this.subs.add(sub);
    const onAbort = () => {
      sub.closed = true;
      sub.wake?.();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        while (sub.queue.length) {
          if (sub.closed || signal.aborted) return;
          yield sub.queue.shift()!;
        }
        if (sub.closed || signal.aborted) return;
        await new Promise<void>((r) => {
          sub.wake = r;
        });
        sub.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.subs.delete(sub);
    }
  }

  /** End every stream (runtime shutdown). */
  close(): void {
    this.closed = true;
    for (const s of this.subs) {
      s.closed = true;
      s.wake?.();
    }
  }
}

export function eventService(rt: MemoryRuntime): ServiceImpl<typeof RuntimeServiceDefinition> {
  return {
    async *getContainerEvents(_req, ctx) {
      await rt.fault('GetContainerEvents', ctx);
      yield* rt.events.subscribe(ctx.signal);
    },
  };
}
