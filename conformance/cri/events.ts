// CRI GetContainerEvents (evented PLEG), where implemented: a subscriber sees a container's
// CREATED, STARTED, STOPPED and DELETED events in that order, with increasing timestamps and the
// sandbox status attached. Events of other users of the runtime are ignored (filtered by id).
import { ContainerEventType, type ContainerEventResponse } from '../../interfaces/gen/cri/api.js';
import { expectEqual, expectOk, expectTrue, fail } from '../runner/assert.js';
import type { CaseDef } from '../runner/types.js';
import { defineCases } from '../define.js';
import { EXIT, POD, RUN, rpcCap, sleep, type CriEnv, CriKit } from './kit.js';

const c = defineCases(CriKit, 'cri.Events');

const ORDER_RULE = 'cri.get-container-events.lifecycle';
/** What lifecycle asserts. */
const LIFECYCLE = [...POD, ...RUN, ...EXIT, 'cri.remove-container.removes', ORDER_RULE];
const name = (t: ContainerEventType) => ContainerEventType[t] ?? String(t);

/** Subscribe; events arrive in `events` until stop(). The subscription is one recorded call. */
function subscribe(k: CriKit) {
  const events: ContainerEventResponse[] = [];
  const stream = k.env.client.runtime.getContainerEvents({}, { timeoutMs: k.ctx.deadlineMs() });
  let error: unknown;
  const done = (async () => {
    try {
      for await (const e of stream) events.push(e);
    } catch (e) {
      error = e;
      throw e;
    }
    return events;
  })();
  const tracked = k.ctx.track('RuntimeService/GetContainerEvents', {}, done, undefined);
  tracked.catch(() => undefined);
  k.ctx.cleanup(() => stream.cancel(), 'cancel GetContainerEvents');
  return {
    events,
    get error() {
      return error;
    },
    stop: async () => {
      stream.cancel();
      return tracked;
    },
    /** Wait until pred holds for the events so far. */
    async until(pred: (evs: ContainerEventResponse[]) => boolean, ms: number, what: string): Promise<void> {
      const deadline = Date.now() + Math.min(ms, k.ctx.deadlineMs() - 300);
      while (!pred(events)) {
        if (error) await expectOk(tracked, { rule: ORDER_RULE });
        if (Date.now() > deadline)
          fail(
            `${what} did not arrive within ${ms} ms (got ${events.map((e) => `${name(e.containerEventType)} ${e.containerId.slice(0, 13)}`).join(', ') || 'nothing'})`,
            { rule: ORDER_RULE },
          );
        await sleep(25);
      }
    },
  };
}

/** Run a container through its whole life while subscribed; answers its events. */
async function lifecycle(k: CriKit) {
  const sub = subscribe(k);
  await sleep(100); // let the subscription reach the runtime before anything happens
  const pod = await k.sandbox();
  const id = await k.run(pod, 'evented', ['true']);
  await k.waitExited(id);
  await expectOk(k.runtime.removeContainer({ containerId: id }), { rule: 'cri.remove-container.removes' });
  const of = (evs: ContainerEventResponse[]) => evs.filter((e) => e.containerId === id);
  await sub.until(
    (evs) => of(evs).some((e) => e.containerEventType === ContainerEventType.CONTAINER_DELETED_EVENT),
    10_000,
    `CONTAINER_DELETED_EVENT of ${id}`,
  );
  await sub.stop();
  return { pod, id, events: of(sub.events) };
}

export const eventCases: CaseDef<CriEnv>[] = [
  c({
    id: 'cri.events.lifecycle',
    rpc: 'GetContainerEvents',
    name: "GetContainerEvents streams a container's CREATED, STARTED, STOPPED and DELETED events in order",
    needs: [rpcCap('GetContainerEvents')],
    rules: LIFECYCLE,
    async run(k) {
      const { events } = await lifecycle(k);
      const seen = events.map((e) => name(e.containerEventType));
      const want = ['CONTAINER_CREATED_EVENT', 'CONTAINER_STARTED_EVENT', 'CONTAINER_STOPPED_EVENT', 'CONTAINER_DELETED_EVENT'];
      expectEqual(
        seen.filter((s) => want.includes(s)).filter((s, i, a) => a.indexOf(s) === i),
        want,
        { rule: ORDER_RULE, what: 'event types of the container, in order of arrival' },
      );
    },
  }),
  c({
    id: 'cri.events.timestamps',
    rpc: 'GetContainerEvents',
    name: 'Container events carry non-decreasing created_at timestamps of the time they happened',
    needs: [rpcCap('GetContainerEvents')],
    rules: [...LIFECYCLE, 'cri.get-container-events.created-at'],
    async run(k) {
      const t0 = BigInt(Date.now() - 5000) * 1_000_000n;
      const { events } = await lifecycle(k);
      const t1 = BigInt(Date.now() + 5000) * 1_000_000n;
      const rule = 'cri.get-container-events.created-at';
      for (const e of events)
        expectTrue(e.createdAt >= t0 && e.createdAt <= t1, `${name(e.containerEventType)} has created_at ${e.createdAt}`, { rule, actual: e });
      expectTrue(
        events.every((e, i) => i === 0 || e.createdAt >= events[i - 1].createdAt),
        'event timestamps go backwards',
        { rule, actual: events.map((e) => `${name(e.containerEventType)} ${e.createdAt}`) },
      );
    },
  }),
  c({
    id: 'cri.events.sandbox-status',
    rpc: 'GetContainerEvents',
    name: "Container events carry the status of the container's sandbox",
    needs: [rpcCap('GetContainerEvents')],
    rules: [...LIFECYCLE, 'cri.get-container-events.statuses'],
    async run(k) {
      const { pod, id, events } = await lifecycle(k);
      const rule = 'cri.get-container-events.statuses';
      for (const e of events) {
        expectEqual(e.podSandboxStatus?.id, pod.id, { rule, what: `pod_sandbox_status.id of ${name(e.containerEventType)}` });
        if (e.containerEventType !== ContainerEventType.CONTAINER_DELETED_EVENT) {
          expectTrue(
            e.containersStatuses.some((s) => s.id === id),
            `containers_statuses of ${name(e.containerEventType)} lack the container`,
            { rule, actual: e.containersStatuses.map((s) => s.id) },
          );
        }
      }
    },
  }),
];
