// Defaulting as the API server applies it on create (pkg/apis/core/v1/defaults.go plus the
// registry's PrepareForCreate), limited to the fields of the supported subset: a defaulted object
// never gains a field the schema would warn about. Robust to mistyped input (the validator reports
// those): only well-typed parts are touched.
import { randomUUID } from 'node:crypto';
import type { Manifest } from '../api/types.js';
import { formatQuantity, parseQuantityValue } from './quantity.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const objs = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const unset = (v: unknown) => v === undefined || v === null || v === '';
const ensureObj = (o: Obj, k: string): Obj => {
  if (!isObj(o[k])) o[k] = {};
  return o[k] as Obj;
};

/** RFC 3339 at second precision, as metav1.Time serialises. */
export const rfc3339 = (d = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * `Always` when the image has the tag `latest` or no tag (and no digest), else `IfNotPresent`
 * (SetDefaults_Container, with the image reference parsed as the docker reference grammar does).
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tag = colon > slash ? name.slice(colon + 1) : '';
  if (tag === 'latest') return 'Always';
  if (tag === '' && at < 0) return 'Always';
  return 'IfNotPresent';
}

/** A quantity in canonical form; left as written when it does not parse (validation reports it). */
function canonical(v: unknown): unknown {
  if (typeof v !== 'string' && typeof v !== 'number') return v;
  try {
    return formatQuantity(parseQuantityValue(v));
  } catch {
    return v;
  }
}

function canonicalMap(m: unknown): void {
  if (!isObj(m)) return;
  for (const k of Object.keys(m)) m[k] = canonical(m[k]);
}

function defaultHttpGet(h: unknown): void {
  if (!isObj(h)) return;
  if (unset(h.path)) h.path = '/';
  if (unset(h.scheme)) h.scheme = 'HTTP';
}

function defaultHandler(h: unknown): void {
  if (isObj(h)) defaultHttpGet(h.httpGet);
}

/** SetDefaults_Probe: zero means unset for the timings (an int32 cannot tell them apart). */
function defaultProbe(p: unknown): void {
  if (!isObj(p)) return;
  defaultHandler(p);
  // GRPCAction.service is `+default=""`: the server as a whole
  if (isObj(p.grpc) && unset(p.grpc.service)) p.grpc.service = '';
  const zeroOrUnset = (k: string) => p[k] === undefined || p[k] === null || p[k] === 0;
  if (p.initialDelaySeconds === undefined || p.initialDelaySeconds === null) p.initialDelaySeconds = 0;
  if (zeroOrUnset('timeoutSeconds')) p.timeoutSeconds = 1;
  if (zeroOrUnset('periodSeconds')) p.periodSeconds = 10;
  if (zeroOrUnset('successThreshold')) p.successThreshold = 1;
  if (zeroOrUnset('failureThreshold')) p.failureThreshold = 3;
}

function defaultContainer(c: Obj, hostNetwork: boolean): void {
  // (an image that does not parse, or none, gets IfNotPresent, as the API server's defaulting does)
  if (unset(c.imagePullPolicy)) c.imagePullPolicy = typeof c.image === 'string' && c.image ? defaultPullPolicy(c.image) : 'IfNotPresent';
  if (unset(c.terminationMessagePath)) c.terminationMessagePath = '/dev/termination-log';
  for (const p of objs(c.ports)) {
    if (unset(p.protocol)) p.protocol = 'TCP';
    // defaultHostNetworkPorts: on the host network the host port is the container port
    if (hostNetwork && (p.hostPort === undefined || p.hostPort === null || p.hostPort === 0) && typeof p.containerPort === 'number')
      p.hostPort = p.containerPort;
  }
  for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(c[k]);
  if (isObj(c.lifecycle)) {
    defaultHandler(c.lifecycle.postStart);
    defaultHandler(c.lifecycle.preStop);
  }
  if (isObj(c.resources)) {
    const r = c.resources;
    canonicalMap(r.limits);
    canonicalMap(r.requests);
    // requests default to limits for every resource that has a limit and no request
    if (isObj(r.limits) && Object.keys(r.limits).length > 0) {
      const req = ensureObj(r, 'requests');
      for (const [k, v] of Object.entries(r.limits)) if (req[k] === undefined || req[k] === null) req[k] = v;
    }
  }
}

function defaultMeta(m: Obj): void {
  const meta = ensureObj(m, 'metadata');
  if (unset(meta.namespace)) meta.namespace = 'default';
  if (unset(meta.uid)) meta.uid = randomUUID();
  if (unset(meta.creationTimestamp)) meta.creationTimestamp = rfc3339();
}

function defaultPod(m: Obj): void {
  const spec = ensureObj(m, 'spec');
  if (unset(spec.restartPolicy)) spec.restartPolicy = 'Always';
  if (unset(spec.dnsPolicy)) spec.dnsPolicy = 'ClusterFirst';
  if (spec.terminationGracePeriodSeconds === undefined || spec.terminationGracePeriodSeconds === null) spec.terminationGracePeriodSeconds = 30;
  const hostNetwork = spec.hostNetwork === true;
  for (const c of [...objs(spec.initContainers), ...objs(spec.containers)]) defaultContainer(c, hostNetwork);
  for (const v of objs(spec.volumes)) {
    // SetDefaults_Volume: a volume without a source is an emptyDir
    const sources = Object.keys(v).filter((k) => k !== 'name' && v[k] !== undefined && v[k] !== null);
    if (sources.length === 0) v.emptyDir = {};
    if (isObj(v.hostPath) && (v.hostPath.type === undefined || v.hostPath.type === null)) v.hostPath.type = '';
    if (isObj(v.emptyDir) && v.emptyDir.sizeLimit !== undefined && v.emptyDir.sizeLimit !== null) v.emptyDir.sizeLimit = canonical(v.emptyDir.sizeLimit);
  }
}

function defaultClaim(m: Obj): void {
  const spec = ensureObj(m, 'spec');
  if (unset(spec.volumeMode)) spec.volumeMode = 'Filesystem';
  if (isObj(spec.resources)) {
    canonicalMap(spec.resources.requests);
    canonicalMap(spec.resources.limits);
  }
}

/**
 * Apply the API server's defaults in place and return the same object: namespace `default`, a uid,
 * creationTimestamp, restartPolicy `Always`, dnsPolicy `ClusterFirst`, terminationGracePeriodSeconds 30,
 * imagePullPolicy from the tag, port protocol TCP, probe timings, httpGet path `/` and scheme HTTP, grpc service "",
 * requests from limits, canonical quantities, emptyDir for a volume without a source, PVC volumeMode
 * Filesystem. Idempotent.
 */
export function applyDefaults<T extends Manifest>(m: T): T {
  const o = m as unknown as Obj;
  if (!isObj(o)) return m;
  defaultMeta(o);
  if (o.kind === 'Pod') defaultPod(o);
  else if (o.kind === 'PersistentVolumeClaim') defaultClaim(o);
  return m;
}
