// `triad get pods -o json|yaml`: pods as kubectl prints them. kubectl prints the API server's
// object, which it holds as unstructured JSON, so every object's keys come out sorted; JSON is
// indented by 4 spaces, YAML by 2 with list items at their parent key's indentation.
import { stringify as yamlStringify } from 'yaml';
import type { ContainerStatus, Pod, PodStatus } from '../api/types.js';
import { podQOS } from './qos.js';

export interface SerializeOptions {
  /** Always print a v1 List, even for a single pod (like `kubectl get pods`, not `get pod X`). */
  list?: boolean;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Drop undefined values and sort every object's keys, recursively. */
function canonical(v: unknown): Json | undefined {
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map((x) => canonical(x) ?? null);
  const out: { [k: string]: Json } = {};
  for (const k of Object.keys(v as object).sort()) {
    const c = canonical((v as Record<string, unknown>)[k]);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

function containerStatusV1(cs: ContainerStatus): ContainerStatus {
  // v1 always has image, imageID, name, ready, restartCount, state and lastState (structs are
  // never omitted, even when empty); containerID and started are omitted when unset.
  return {
    ...cs,
    state: cs.state ?? {},
    lastState: cs.lastState ?? {},
    ready: cs.ready ?? false,
    restartCount: cs.restartCount ?? 0,
    image: cs.image ?? '',
    imageID: cs.imageID ?? '',
  };
}

/** The pod's status in the v1 PodStatus shape: empty lists omitted, as the API omits them. */
export function podStatusV1(pod: Pod): PodStatus {
  const s = pod.status;
  const out: Partial<PodStatus> & Record<string, unknown> = { ...(s ?? {}) };
  out.phase = s?.phase ?? 'Pending';
  out.qosClass = podQOS(pod);
  const lists = ['conditions', 'podIPs', 'initContainerStatuses', 'containerStatuses'] as const;
  for (const k of lists) {
    const v = s?.[k] as unknown[] | undefined;
    if (!v || v.length === 0) delete out[k];
  }
  if (out.initContainerStatuses) out.initContainerStatuses = out.initContainerStatuses.map(containerStatusV1);
  if (out.containerStatuses) out.containerStatuses = out.containerStatuses.map(containerStatusV1);
  return out as PodStatus;
}

/** One pod as the v1 object kubectl prints. */
export function podObject(pod: Pod): Json {
  return canonical({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: pod.metadata,
    spec: pod.spec,
    status: podStatusV1(pod),
  })!;
}

/** The document for a set of pods: the Pod itself for exactly one, else a v1 List. */
export function podsDocument(pods: Pod[], opts: SerializeOptions = {}): Json {
  if (pods.length === 1 && !opts.list) return podObject(pods[0]);
  return canonical({
    apiVersion: 'v1',
    kind: 'List',
    items: pods.map(podObject),
    metadata: { resourceVersion: '' },
  })!;
}

/** `-o json` */
export function podsJson(pods: Pod[], opts: SerializeOptions = {}): string {
  return JSON.stringify(podsDocument(pods, opts), null, 4) + '\n';
}

/** `-o yaml` */
export function podsYaml(pods: Pod[], opts: SerializeOptions = {}): string {
  // YAML 1.1 quoting, like the Go YAML library kubectl uses: "yes", "on", timestamps and numbers
  // held in strings are quoted so they read back as strings.
  return yamlStringify(podsDocument(pods, opts), { indentSeq: false, version: '1.1', lineWidth: 0 });
}
