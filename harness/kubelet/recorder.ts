// Per-pod event recorder and creation timeline: every step of the pod's life is timed here, so
// `triad describe` shows the events and the timeline shows where the seconds went.
import type { PodEvent, PodTimeline, TimelineStep } from '../api/types.js';

const MAX_EVENTS = 200;

export class Recorder {
  readonly events: PodEvent[] = [];
  readonly steps: TimelineStep[] = [];
  private readonly listeners = new Set<(e: PodEvent) => void>();

  constructor(readonly pod: { name: string; namespace: string; uid: string }) {}

  event(type: PodEvent['type'], reason: string, message: string, object?: string): void {
    const e: PodEvent = { time: Date.now(), type, reason, message, object };
    this.events.push(e);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
    for (const l of this.listeners) l(e);
  }

  onEvent(fn: (e: PodEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Time `fn` as one step; a failure is recorded on the step and rethrown. */
  async step<T>(phase: string, name: string, fn: () => Promise<T>): Promise<T> {
    const s: TimelineStep = { phase, name, start: Date.now(), ok: true };
    this.steps.push(s);
    try {
      return await fn();
    } catch (err) {
      s.ok = false;
      s.error = (err as Error).message;
      throw err;
    } finally {
      s.durationMs = Date.now() - s.start;
    }
  }

  /** A step that already happened (e.g. a container's run from start to exit). */
  mark(phase: string, name: string, start: number, end: number, ok = true, error?: string): void {
    this.steps.push({ phase, name, start, durationMs: Math.max(0, end - start), ok, error });
  }

  timeline(): PodTimeline {
    return { pod: this.pod.name, namespace: this.pod.namespace, uid: this.pod.uid, steps: this.steps.map((s) => ({ ...s })) };
  }
}
