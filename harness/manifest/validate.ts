// Validation the way the API server does it on create (pkg/apis/core/validation): strict decoding
// against the supported field schema first (unknown / unsupported / mistyped fields, warnings for
// fields that cannot matter on one node), then defaulting, then the semantic rules on the defaulted
// object. Every error of an object is collected and thrown together as one ManifestError, each
// naming the field path the way kubectl prints it.
import type { Container, Manifest, PersistentVolumeClaim, Pod, Probe, Volume } from '../api/types.js';
import { applyDefaults } from './defaults.js';
import { ManifestError, child, duplicate, forbidden, index, invalid, key, notFound, notSupported, required, tooLong, type FieldError } from './errors.js';
import {
  NEGATIVE_ERROR,
  NOT_POSITIVE_ERROR,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isHTTPHeaderName,
  isQualifiedName,
  isValidGroupID,
  isValidIP,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  isValidUserID,
} from './names.js';
import { formatQuantity, parseQuantityValue, QuantityError, type Quantity } from './quantity.js';
import { POD_SCHEMA, PVC_SCHEMA, SUPPORTED_VOLUME_SOURCES, UNSUPPORTED_VOLUME_SOURCES, checkFields } from './schema.js';

export interface ValidationResult {
  /** Fields that are accepted but ignored, each as `<path>: ignored: <why>`. */
  warnings: string[];
}

/** VolumeMount.bindMountOptions values the API server accepts (Kubernetes 1.37). */
const BIND_MOUNT_OPTIONS = ['noexec', 'nodev', 'nosuid'];
export const SUPPORTED_KINDS = ['Pod', 'PersistentVolumeClaim'] as const;

// ---- where a manifest came from (set by the loader, so errors name the file) ----

const origins = new WeakMap<object, { source?: string; where?: string }>();

export function recordOrigin(m: object, source?: string, where?: string): void {
  origins.set(m, { source, where });
}
/** The file a loaded manifest came from. */
export const sourceOf = (m: unknown): string | undefined => (typeof m === 'object' && m !== null ? origins.get(m)?.source : undefined);
const whereOf = (m: unknown): string | undefined => (typeof m === 'object' && m !== null ? origins.get(m)?.where : undefined);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Drop null-valued fields (null means unset in Kubernetes JSON); arrays keep their elements. */
export function stripNulls<T>(v: T): T {
  if (Array.isArray(v)) {
    v.forEach(stripNulls);
    return v;
  }
  if (isObj(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null || v[k] === undefined) delete v[k];
      else stripNulls(v[k]);
    }
  }
  return v;
}

/** apiVersion and kind: kubectl's wording where it has one. undefined when the document is a Pod or a PVC. */
export function checkKind(doc: unknown): FieldError | undefined {
  if (!isObj(doc)) return { path: '', message: `expected an object (a Kubernetes manifest), got ${Array.isArray(doc) ? 'an array' : JSON.stringify(doc)}` };
  const missing = [
    doc.apiVersion === undefined || doc.apiVersion === '' ? 'apiVersion not set' : '',
    doc.kind === undefined || doc.kind === '' ? 'kind not set' : '',
  ].filter(Boolean);
  if (missing.length) return { path: missing[0].split(' ')[0], message: `error validating data: [${missing.join(', ')}]` };
  if (typeof doc.kind !== 'string' || !(SUPPORTED_KINDS as readonly string[]).includes(doc.kind)) {
    return {
      path: 'kind',
      message: `unsupported kind ${JSON.stringify(doc.kind)} (apiVersion ${JSON.stringify(doc.apiVersion)}): triad runs v1 Pod and PersistentVolumeClaim objects only`,
    };
  }
  if (doc.apiVersion !== 'v1')
    return { path: 'apiVersion', message: `no matches for kind ${JSON.stringify(doc.kind)} in version ${JSON.stringify(doc.apiVersion)}` };
  return undefined;
}

/** `Pod "web"`, the way kubectl names an object in "The Pod "web" is invalid". */
export function objectName(doc: unknown): string {
  const d = isObj(doc) ? doc : {};
  const meta = isObj(d.metadata) ? d.metadata : {};
  return `${typeof d.kind === 'string' ? d.kind : 'object'} ${JSON.stringify(typeof meta.name === 'string' ? meta.name : '')}`;
}

/**
 * Validate one manifest (raw or already defaulted) as the API server would on create. Throws a
 * ManifestError listing every error of the object; returns the warnings for ignored fields.
 * Does not modify `m`.
 */
export function validateManifest(m: unknown, source: string | undefined = sourceOf(m)): ValidationResult {
  const where = whereOf(m);
  const kindError = checkKind(m);
  if (kindError) throw new ManifestError(source, [{ ...kindError, where }]);
  const raw = m as Obj;
  const walked = checkFields(raw.kind === 'Pod' ? POD_SCHEMA : PVC_SCHEMA, raw);
  const errors = [...walked.errors];
  const warnings = [...walked.warnings];
  if (walked.typeErrors === 0) {
    // the semantic rules run on the defaulted object, as in the API server
    const d = applyDefaults(stripNulls(structuredClone(raw)) as unknown as Manifest);
    const v = new Validator(errors, warnings);
    if (d.kind === 'Pod') v.pod(d);
    else v.claim(d);
  }
  if (errors.length) {
    const object = objectName(raw);
    throw new ManifestError(
      source,
      errors.map((e) => ({ ...e, object, where })),
    );
  }
  return { warnings };
}

// ---- the semantic rules ----

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const HTTP_SCHEMES = ['HTTP', 'HTTPS'];
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const EMPTY_DIR_MEDIA = ['', 'Memory'];
const MAX_DNS_NAMESERVERS = 3;
const MAX_DNS_SEARCH_PATHS = 32;
const MAX_DNS_SEARCH_LIST_CHARS = 2048;
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

type ContainerKind = 'container' | 'init' | 'sidecar';
type Handler = {
  exec?: { command?: string[] };
  httpGet?: Probe['httpGet'];
  tcpSocket?: Probe['tcpSocket'];
  grpc?: { port?: number; service?: string };
  sleep?: { seconds?: number };
};

class Validator {
  constructor(
    private readonly errors: FieldError[],
    private readonly warnings: string[],
  ) {}

  private err(...e: FieldError[]): void {
    this.errors.push(...e);
  }
  private each(msgs: string[], path: string, value: unknown): void {
    for (const m of msgs) this.err(invalid(path, value, m));
  }

  /** A quantity, or undefined after reporting why it does not parse. */
  private quantity(v: string | number, path: string): Quantity | undefined {
    try {
      return parseQuantityValue(v, path);
    } catch (e) {
      if (e instanceof QuantityError) {
        this.err(invalid(path, v, e.detail));
        return undefined;
      }
      throw e;
    }
  }

  // ---- metadata ----

  meta(meta: Obj): void {
    const name = meta.name as string | undefined;
    if (!name) {
      if (!meta.generateName) this.err(required('metadata.name', 'name or generateName is required'));
    } else this.each(isDNS1123Subdomain(name), 'metadata.name', name);
    const ns = meta.namespace as string | undefined;
    if (!ns) this.err(required('metadata.namespace'));
    else this.each(isDNS1123Label(ns), 'metadata.namespace', ns);
    const labels = (meta.labels ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(labels)) {
      this.each(isQualifiedName(k), 'metadata.labels', k);
      this.each(isValidLabelValue(v), 'metadata.labels', v);
    }
    const annotations = (meta.annotations ?? {}) as Record<string, string>;
    let size = 0;
    for (const [k, v] of Object.entries(annotations)) {
      this.each(isQualifiedName(k.toLowerCase()), 'metadata.annotations', k);
      size += k.length + v.length;
    }
    if (size > TOTAL_ANNOTATION_SIZE_LIMIT) this.err(tooLong('metadata.annotations', TOTAL_ANNOTATION_SIZE_LIMIT));
  }

  // ---- pod ----

  pod(pod: Pod): void {
    this.meta(pod.metadata as unknown as Obj);
    const spec = pod.spec;
    const grace = spec.terminationGracePeriodSeconds ?? 30;
    const volumes = this.volumes(spec.volumes ?? [], 'spec.volumes');

    const containers = spec.containers ?? [];
    const names = new Set<string>();
    if (containers.length === 0) this.err(required('spec.containers'));
    containers.forEach((c, i) => {
      const p = index('spec.containers', i);
      this.container(c, p, 'container', volumes, grace);
      if (c.name && names.has(c.name)) this.err(duplicate(child(p, 'name'), c.name));
      else if (c.name) names.add(c.name);
    });
    this.hostPortConflicts(containers, 'spec.containers');
    (spec.initContainers ?? []).forEach((c, i) => {
      const p = index('spec.initContainers', i);
      this.container(c, p, c.restartPolicy === 'Always' ? 'sidecar' : 'init', volumes, grace);
      if (c.name && names.has(c.name)) this.err(duplicate(child(p, 'name'), c.name));
      else if (c.name) names.add(c.name);
      // init containers run one at a time: only conflicts within each one count
      this.hostPortConflicts([c], p, true);
    });

    if (spec.hostNetwork) {
      for (const [list, base] of [
        [spec.containers, 'spec.containers'],
        [spec.initContainers, 'spec.initContainers'],
      ] as const) {
        (list ?? []).forEach((c, i) =>
          (c.ports ?? []).forEach((port, j) => {
            if ((port.hostPort ?? 0) !== port.containerPort) {
              this.err(
                invalid(
                  child(index(child(index(base, i), 'ports'), j), 'hostPort'),
                  port.hostPort ?? 0,
                  'must match `containerPort` when `hostNetwork` is true',
                ),
              );
            }
          }),
        );
      }
    }

    if (!spec.restartPolicy) this.err(required('spec.restartPolicy'));
    else if (!RESTART_POLICIES.includes(spec.restartPolicy)) this.err(notSupported('spec.restartPolicy', spec.restartPolicy, RESTART_POLICIES));
    if (!spec.dnsPolicy) this.err(required('spec.dnsPolicy'));
    else if (!DNS_POLICIES.includes(spec.dnsPolicy)) this.err(notSupported('spec.dnsPolicy', spec.dnsPolicy, DNS_POLICIES));
    this.podSecurityContext(spec.securityContext, 'spec.securityContext');
    this.dnsConfig(spec, 'spec.dnsConfig');
    if (spec.nodeName) this.each(isDNS1123Subdomain(spec.nodeName), 'spec.nodeName', spec.nodeName);
    if (spec.hostname) this.each(isDNS1123Label(spec.hostname), 'spec.hostname', spec.hostname);
    if (spec.subdomain) this.each(isDNS1123Label(spec.subdomain), 'spec.subdomain', spec.subdomain);
    if (spec.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds < 0) {
      this.err(invalid('spec.terminationGracePeriodSeconds', spec.terminationGracePeriodSeconds, NEGATIVE_ERROR));
    }
  }

  private dnsConfig(spec: Pod['spec'], path: string): void {
    const cfg = spec.dnsConfig;
    if (spec.dnsPolicy === 'None') {
      if (!cfg) return this.err(required(path, 'must provide `dnsConfig` when `dnsPolicy` is None'));
      if (!cfg.nameservers?.length) return this.err(required(child(path, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
    }
    if (!cfg) return;
    const ns = cfg.nameservers ?? [];
    if (ns.length > MAX_DNS_NAMESERVERS) this.err(invalid(child(path, 'nameservers'), ns, `must not have more than ${MAX_DNS_NAMESERVERS} nameservers`));
    ns.forEach((n, i) => this.each(isValidIP(n), index(child(path, 'nameservers'), i), n));
    const searches = cfg.searches ?? [];
    if (searches.length > MAX_DNS_SEARCH_PATHS)
      this.err(invalid(child(path, 'searches'), searches, `must not have more than ${MAX_DNS_SEARCH_PATHS} search paths`));
    if (searches.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS) {
      this.err(
        invalid(child(path, 'searches'), searches, `must not have more than ${MAX_DNS_SEARCH_LIST_CHARS} characters (including spaces) in the search list`),
      );
    }
    searches.forEach((s, i) => {
      const trimmed = s.endsWith('.') ? s.slice(0, -1) : s; // a trailing dot is fine
      this.each(isDNS1123Subdomain(trimmed), index(child(path, 'searches'), i), trimmed);
    });
    (cfg.options ?? []).forEach((o, i) => {
      if (!o.name) this.err(required(index(child(path, 'options'), i), 'must not be empty'));
    });
  }

  private podSecurityContext(sc: Pod['spec']['securityContext'], path: string): void {
    if (!sc) return;
    if (sc.runAsUser !== undefined) this.each(isValidUserID(sc.runAsUser), child(path, 'runAsUser'), sc.runAsUser);
    if (sc.runAsGroup !== undefined) this.each(isValidGroupID(sc.runAsGroup), child(path, 'runAsGroup'), sc.runAsGroup);
    if (sc.fsGroup !== undefined) this.each(isValidGroupID(sc.fsGroup), child(path, 'fsGroup'), sc.fsGroup);
    (sc.supplementalGroups ?? []).forEach((g, i) => this.each(isValidGroupID(g), index(child(path, 'supplementalGroups'), i), g));
  }

  // ---- volumes ----

  private volumes(vols: Volume[], path: string): Map<string, Volume> {
    const out = new Map<string, Volume>();
    vols.forEach((v, i) => {
      const p = index(path, i);
      const all = v as unknown as Obj;
      const present = [...SUPPORTED_VOLUME_SOURCES, ...UNSUPPORTED_VOLUME_SOURCES].filter((s) => all[s] !== undefined);
      if (present.length === 0) this.err(required(p, 'must specify a volume type'));
      present.forEach((s, n) => {
        const supported = (SUPPORTED_VOLUME_SOURCES as readonly string[]).includes(s);
        // an unsupported source already has its error from the schema
        if (n > 0 && supported) this.err(forbidden(child(p, s), 'may not specify more than 1 volume type'));
        else if (supported) this.volumeSource(v, p);
      });
      if (!v.name) this.err(required(child(p, 'name')));
      else this.each(isDNS1123Label(v.name), child(p, 'name'), v.name);
      if (v.name && out.has(v.name)) this.err(duplicate(child(p, 'name'), v.name));
      else if (v.name) out.set(v.name, v);
    });
    return out;
  }

  private volumeSource(v: Volume, p: string): void {
    if (v.emptyDir) {
      const e = v.emptyDir;
      const path = child(p, 'emptyDir');
      if (e.medium !== undefined && !EMPTY_DIR_MEDIA.includes(e.medium)) this.err(notSupported(child(path, 'medium'), e.medium, EMPTY_DIR_MEDIA));
      if (e.sizeLimit !== undefined) {
        const q = this.quantity(e.sizeLimit, child(path, 'sizeLimit'));
        if (q && q.nano < 0n) this.err(forbidden(child(path, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
      }
    } else if (v.hostPath) {
      const path = child(p, 'hostPath');
      if (!v.hostPath.path) this.err(required(child(path, 'path')));
      else this.noBacksteps(v.hostPath.path, child(path, 'path'));
      const t = v.hostPath.type ?? '';
      if (!HOST_PATH_TYPES.includes(t)) this.err(notSupported(child(path, 'type'), t, HOST_PATH_TYPES));
    } else if (v.persistentVolumeClaim) {
      if (!v.persistentVolumeClaim.claimName) this.err(required(child(child(p, 'persistentVolumeClaim'), 'claimName')));
    } else if (v.csi) {
      const path = child(p, 'csi');
      const driver = v.csi.driver;
      if (!driver) this.err(required(child(path, 'driver')));
      else {
        if (driver.length > 63) this.err(tooLong(child(path, 'driver'), 63));
        this.each(isDNS1123Subdomain(driver.toLowerCase()), child(path, 'driver'), driver);
      }
      const ref = v.csi.nodePublishSecretRef;
      if (ref) {
        if (!ref.name) this.err(required(child(child(path, 'nodePublishSecretRef'), 'name')));
        // (upstream reports a bad secret name at csi.name)
        else this.each(isDNS1123Subdomain(ref.name), child(path, 'name'), ref.name);
      }
    }
  }

  private noBacksteps(target: string, path: string): void {
    if (target.split('/').includes('..')) this.err(invalid(path, target, "must not contain '..'"));
  }

  // ---- containers ----

  private container(c: Container, p: string, kind: ContainerKind, volumes: Map<string, Volume>, grace: number): void {
    if (!c.name) this.err(required(child(p, 'name')));
    else this.each(isDNS1123Label(c.name), child(p, 'name'), c.name);
    if (!c.image) this.err(required(child(p, 'image')));
    else if (c.image.trim() !== c.image) this.err(invalid(child(p, 'image'), c.image, 'must not have leading or trailing whitespace'));

    this.ports(c, child(p, 'ports'));
    (c.env ?? []).forEach((e, i) => {
      const ep = index(child(p, 'env'), i);
      if (!e.name) this.err(required(child(ep, 'name')));
      else this.each(isEnvVarName(e.name), child(ep, 'name'), e.name);
    });
    this.volumeMounts(c, child(p, 'volumeMounts'), volumes);
    if (c.imagePullPolicy === undefined || (c.imagePullPolicy as string) === '') this.err(required(child(p, 'imagePullPolicy')));
    else if (!PULL_POLICIES.includes(c.imagePullPolicy)) this.err(notSupported(child(p, 'imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES));
    this.resources(c, child(p, 'resources'));
    this.containerSecurityContext(c, child(p, 'securityContext'));

    if (kind === 'init') {
      // a regular init container runs to completion: probes and hooks have nothing to act on
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
        if (c[f] !== undefined) this.err(forbidden(child(p, f), 'may not be set for init containers without restartPolicy=Always'));
      }
    } else {
      if (c.lifecycle) {
        const lp = child(p, 'lifecycle');
        if (c.lifecycle.postStart) this.handler(c.lifecycle.postStart, child(lp, 'postStart'), c, grace, true);
        if (c.lifecycle.preStop) this.handler(c.lifecycle.preStop, child(lp, 'preStop'), c, grace, true);
      }
      this.probe(c.livenessProbe, child(p, 'livenessProbe'), c, 'liveness', grace);
      this.probe(c.readinessProbe, child(p, 'readinessProbe'), c, 'readiness', grace);
      this.probe(c.startupProbe, child(p, 'startupProbe'), c, 'startup', grace);
    }
    if (c.restartPolicy !== undefined) {
      if (kind === 'container') this.err(forbidden(child(p, 'restartPolicy'), 'may not be set for non-init containers'));
      else if (c.restartPolicy !== 'Always') this.err(notSupported(child(p, 'restartPolicy'), c.restartPolicy, ['Always']));
    }
  }

  private ports(c: Container, path: string): void {
    const names = new Set<string>();
    (c.ports ?? []).forEach((port, i) => {
      const p = index(path, i);
      if (port.name) {
        const msgs = isValidPortName(port.name);
        if (msgs.length) this.each(msgs, child(p, 'name'), port.name);
        else if (names.has(port.name)) this.err(duplicate(child(p, 'name'), port.name));
        else names.add(port.name);
      }
      if (!port.containerPort) this.err(required(child(p, 'containerPort')));
      else this.each(isValidPortNum(port.containerPort), child(p, 'containerPort'), port.containerPort);
      if (port.hostPort) this.each(isValidPortNum(port.hostPort), child(p, 'hostPort'), port.hostPort);
      if (!port.protocol) this.err(required(child(p, 'protocol')));
      else if (!PROTOCOLS.includes(port.protocol)) this.err(notSupported(child(p, 'protocol'), port.protocol, PROTOCOLS));
    });
  }

  /** AccumulateUniqueHostPorts: one host port per IP and protocol across the containers that run together. */
  private hostPortConflicts(containers: Container[], path: string, single = false): void {
    const seen = new Set<string>();
    containers.forEach((c, ci) =>
      (c.ports ?? []).forEach((port, pi) => {
        if (!port.hostPort) return;
        const k = `${port.hostIP ?? ''}/${port.protocol ?? 'TCP'}/${port.hostPort}`;
        const p = child(index(child(single ? path : index(path, ci), 'ports'), pi), 'hostPort');
        if (seen.has(k)) this.err(duplicate(p, k));
        else seen.add(k);
      }),
    );
  }

  private volumeMounts(c: Container, path: string, volumes: Map<string, Volume>): void {
    const mountPoints = new Set<string>();
    (c.volumeMounts ?? []).forEach((m, i) => {
      const p = index(path, i);
      if (!m.name) this.err(required(child(p, 'name')));
      if (!volumes.has(m.name)) this.err(notFound(child(p, 'name'), m.name ?? ''));
      if (!m.mountPath) this.err(required(child(p, 'mountPath')));
      else if (!m.mountPath.startsWith('/')) this.err(invalid(child(p, 'mountPath'), m.mountPath, 'must be an absolute path'));
      if (m.mountPath && mountPoints.has(m.mountPath)) this.err(invalid(child(p, 'mountPath'), m.mountPath, 'must be unique'));
      if (m.mountPath) mountPoints.add(m.mountPath);
      if (m.subPath) {
        // upstream reports subPath at `volumeMounts.subPath` (no index): kept so messages match kubectl
        const sp = child(path, 'subPath');
        if (m.subPath.startsWith('/')) this.err(invalid(sp, m.subPath, 'must be a relative path'));
        this.noBacksteps(m.subPath, sp);
      }
      const seen = new Set<string>();
      (m.bindMountOptions ?? []).forEach((o, j) => {
        const op = index(child(p, 'bindMountOptions'), j);
        if (!BIND_MOUNT_OPTIONS.includes(o)) this.err(notSupported(op, o, BIND_MOUNT_OPTIONS));
        else if (seen.has(o)) this.err(duplicate(op, o));
        seen.add(o);
      });
    });
  }

  private resources(c: Container, path: string): void {
    const r = c.resources;
    if (!r) return;
    const parsed: Record<'limits' | 'requests', Map<string, Quantity>> = { limits: new Map(), requests: new Map() };
    for (const kind of ['limits', 'requests'] as const) {
      for (const [name, v] of Object.entries(r[kind] ?? {})) {
        const p = key(child(path, kind), name);
        this.resourceName(name, p);
        const q = this.quantity(v, p);
        if (!q) continue;
        if (q.nano < 0n) this.err(invalid(p, formatQuantity(q), NEGATIVE_ERROR));
        parsed[kind].set(name, q);
      }
    }
    for (const [name, req] of parsed.requests) {
      const lim = parsed.limits.get(name);
      if (lim && req.nano > lim.nano) {
        this.err(invalid(child(path, 'requests'), formatQuantity(req), `must be less than or equal to ${name} limit of ${formatQuantity(lim)}`));
      }
    }
  }

  private resourceName(name: string, path: string): void {
    if (name === 'cpu' || name === 'memory') return;
    if (name === 'ephemeral-storage') {
      this.warnings.push(`${path}: ignored: ephemeral storage is not limited or evicted on`);
      return;
    }
    if (name.startsWith('hugepages-')) {
      this.err(forbidden(path, 'not supported by triad: huge pages are not allocated'));
      return;
    }
    if (name.includes('/')) {
      const msgs = isQualifiedName(name);
      if (msgs.length) this.each(msgs, path, name);
      else this.err(forbidden(path, 'not supported by triad: extended resources are not advertised by this node'));
      return;
    }
    this.err(invalid(path, name, 'must be a standard resource for containers'));
  }

  private containerSecurityContext(c: Container, path: string): void {
    const sc = c.securityContext;
    if (!sc) return;
    if (sc.runAsUser !== undefined) this.each(isValidUserID(sc.runAsUser), child(path, 'runAsUser'), sc.runAsUser);
    if (sc.runAsGroup !== undefined) this.each(isValidGroupID(sc.runAsGroup), child(path, 'runAsGroup'), sc.runAsGroup);
    if (sc.allowPrivilegeEscalation === false) {
      if (sc.privileged) this.err(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
      if (sc.capabilities?.add?.includes('CAP_SYS_ADMIN'))
        this.err(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }

  // ---- probes and handlers ----

  private probe(pr: Probe | undefined, path: string, c: Container, kind: 'liveness' | 'readiness' | 'startup', grace: number): void {
    if (!pr) return;
    this.handler(pr, path, c, grace, false);
    for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
      const v = pr[f];
      if (v !== undefined && v < 0) this.err(invalid(child(path, f), v, NEGATIVE_ERROR));
    }
    // (zero timings and thresholds were defaulted, so every threshold here is at least 1 or reported above)
    const tgp = pr.terminationGracePeriodSeconds;
    if (kind === 'readiness') {
      if (tgp !== undefined) this.err(invalid(child(path, 'terminationGracePeriodSeconds'), tgp, 'must not be set for readinessProbes'));
    } else {
      if (tgp !== undefined && tgp <= 0) this.err(invalid(child(path, 'terminationGracePeriodSeconds'), tgp, 'must be greater than 0'));
      if (pr.successThreshold !== undefined && pr.successThreshold >= 0 && pr.successThreshold !== 1) {
        this.err(invalid(child(path, 'successThreshold'), pr.successThreshold, 'must be 1'));
      }
    }
  }

  private handler(h: Handler, path: string, c: Container, grace: number, lifecycle: boolean): void {
    let n = 0;
    const kinds = lifecycle ? (['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'] as const) : (['exec', 'httpGet', 'tcpSocket', 'grpc'] as const);
    for (const k of kinds) {
      if (h[k] === undefined) continue;
      const p = child(path, k);
      if (n > 0) {
        this.err(forbidden(p, 'may not specify more than 1 handler type'));
        continue;
      }
      n++;
      if (k === 'exec' && !h.exec?.command?.length) this.err(required(child(p, 'command')));
      if (k === 'httpGet' && h.httpGet) {
        const g = h.httpGet;
        if (!g.path) this.err(required(child(p, 'path')));
        this.port(g.port, child(p, 'port'), c);
        const scheme = g.scheme ?? '';
        if (!HTTP_SCHEMES.includes(scheme)) this.err(notSupported(child(p, 'scheme'), scheme, HTTP_SCHEMES));
        for (const hd of g.httpHeaders ?? []) this.each(isHTTPHeaderName(hd.name ?? ''), child(p, 'httpHeaders'), hd.name ?? '');
      }
      if (k === 'tcpSocket' && h.tcpSocket) this.port(h.tcpSocket.port, child(p, 'port'), c);
      if (k === 'sleep' && h.sleep) {
        const s = h.sleep.seconds ?? 0;
        if (s < 0 || s > grace) this.err(invalid(child(p, 'seconds'), s, `must be non-negative and less than terminationGracePeriodSeconds (${grace})`));
      }
      if (k === 'grpc' && h.grpc) {
        // a number only (GRPCAction.port is an int32, not an IntOrString)
        if (h.grpc.port === undefined) this.err(required(child(p, 'port')));
        else this.each(isValidPortNum(h.grpc.port), child(p, 'port'), h.grpc.port);
      }
    }
    if (n === 0) this.err(required(path, 'must specify a handler type'));
  }

  /** A port number, or the name of one of the container's ports (resolved by the kubelet at probe time). */
  private port(port: number | string | undefined, path: string, c: Container): void {
    if (port === undefined || port === '') return this.err(required(path));
    if (typeof port === 'number') return this.each(isValidPortNum(port), path, port);
    const msgs = isValidPortName(port);
    if (msgs.length) return this.each(msgs, path, port);
    if (!(c.ports ?? []).some((x) => x.name === port))
      this.err(invalid(path, port, `must be a port number or the name of one of the container's ports (container "${c.name}" has no port named "${port}")`));
  }

  // ---- claims ----

  claim(pvc: PersistentVolumeClaim): void {
    this.meta(pvc.metadata as unknown as Obj);
    const spec = pvc.spec;
    const modes = spec.accessModes ?? [];
    if (modes.length === 0) this.err(required('spec.accessModes', 'at least 1 access mode is required'));
    for (const m of modes) if (!ACCESS_MODES.includes(m)) this.err(notSupported('spec.accessModes', m, ACCESS_MODES));
    if (modes.includes('ReadWriteOncePod') && modes.length > 1) this.err(forbidden('spec.accessModes', 'may not use ReadWriteOncePod with other access modes'));

    // (upstream names the storage request `spec.resources[storage]`)
    const storagePath = key('spec.resources', 'storage');
    const storage = spec.resources?.requests?.storage;
    if (storage === undefined) this.err(required(storagePath));
    else {
      const q = this.quantity(storage, storagePath);
      if (q && q.nano <= 0n) this.err(invalid(storagePath, formatQuantity(q), NOT_POSITIVE_ERROR));
    }
    for (const kind of ['requests', 'limits'] as const) {
      for (const [name, v] of Object.entries(spec.resources?.[kind] ?? {})) {
        const p = key(child('spec.resources', kind), name);
        if (name !== 'storage') {
          this.err(notSupported(p, name, ['storage']));
          continue;
        }
        if (kind === 'limits' && v !== undefined) this.quantity(v, p);
      }
    }
    if (spec.storageClassName) this.each(isDNS1123Subdomain(spec.storageClassName), 'spec.storageClassName', spec.storageClassName);
    if (spec.volumeMode !== undefined && !VOLUME_MODES.includes(spec.volumeMode)) this.err(notSupported('spec.volumeMode', spec.volumeMode, VOLUME_MODES));
  }
}
