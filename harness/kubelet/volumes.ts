// Volumes for a pod, as the node's storage stack does it: for a PVC the harness plays
// external-provisioner (CreateVolume) and attacher (ControllerPublish when the driver can), then
// kubelet (NodeStage when the driver stages, NodePublish to a per-pod target); an inline `csi`
// volume is published as ephemeral; emptyDir is a node-local directory; hostPath is the host's.
// Teardown undoes exactly what setUp did, in reverse order, and is safe to repeat.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  ControllerServiceCapability_RPC_Type as CtlCap,
  NodeServiceCapability_RPC_Type as NodeCap,
  VolumeCapability_AccessMode_Mode as AccessMode,
  type VolumeCapability,
} from '../../interfaces/gen/csi/csi.js';
import type { CsiClient } from '../../interfaces/csi/client.js';
import type { DeepPartial } from '../../interfaces/grpc/types.js';
import type { PersistentVolumeClaim, Pod, Volume } from '../api/types.js';
import { parseQuantity } from '../manifest/quantity.js';
import type { Recorder } from './recorder.js';
import { mountsUnder } from '../../interfaces/csi/sdk/mount.js';

export interface StorageClass {
  name: string;
  driver: string;
  parameters?: Record<string, string>;
  default?: boolean;
}

export interface CsiDriver {
  name: string;
  client: CsiClient;
  nodeId: string;
  controllerPublish: boolean;
  createDelete: boolean;
  stage: boolean;
}

/** What a pod's volume became on this node; checkpointed so a restarted harness can undo it. */
export interface VolumeRecord {
  name: string;
  kind: 'emptyDir' | 'hostPath' | 'csi' | 'pvc';
  hostPath: string;
  readOnly: boolean;
  driver?: string;
  volumeId?: string;
  claim?: string;
  ephemeral?: boolean;
  stagingPath?: string;
  published?: boolean;
  createdDir?: boolean;
}

/** A claim bound to a CSI volume. */
export interface ClaimRecord {
  key: string;
  claim: PersistentVolumeClaim;
  driver: string;
  volumeId?: string;
  capacityBytes?: number;
  volumeContext?: Record<string, string>;
  publishContext?: Record<string, string>;
  controllerPublished?: boolean;
  stagingPath?: string;
  staged?: boolean;
  /** Pod uids using it on this node (stage/attach once, undo when the last goes). */
  users: string[];
}

export interface VolumeManagerOptions {
  rootDir: string;
  drivers: Map<string, CsiDriver>;
  classes: StorageClass[];
  /** Persist claim state after each change. */
  saveClaims: (claims: ClaimRecord[]) => void;
}

const EPHEMERAL = 'csi.storage.k8s.io/ephemeral';

export const claimKey = (ns: string, name: string) => `${ns}/${name}`;

export class VolumeManager {
  readonly claims = new Map<string, ClaimRecord>();

  constructor(private readonly opts: VolumeManagerOptions) {}

  podDir(uid: string): string {
    return join(this.opts.rootDir, 'pods', uid);
  }

  driver(name: string): CsiDriver {
    const d = this.opts.drivers.get(name);
    if (!d) throw new Error(`CSI driver ${JSON.stringify(name)} is not configured (configured: ${[...this.opts.drivers.keys()].join(', ') || 'none'})`);
    return d;
  }

  private classFor(pvc: PersistentVolumeClaim): StorageClass {
    const name = pvc.spec.storageClassName;
    const sc = name ? this.opts.classes.find((c) => c.name === name) : this.opts.classes.find((c) => c.default);
    if (!sc)
      throw new Error(
        `PersistentVolumeClaim ${pvc.metadata.name}: storage class ${name ? JSON.stringify(name) + ' is not configured' : '(default) is not configured'}`,
      );
    return sc;
  }

  /** Register a claim (from a manifest) and provision its volume: CreateVolume, idempotent by name. */
  async provision(pvc: PersistentVolumeClaim, rec?: Recorder): Promise<ClaimRecord> {
    const key = claimKey(pvc.metadata.namespace!, pvc.metadata.name);
    let c = this.claims.get(key);
    if (!c) {
      c = { key, claim: pvc, driver: this.classFor(pvc).driver, users: [] };
      this.claims.set(key, c);
    }
    if (c.volumeId) return c;
    const sc = this.classFor(pvc);
    const d = this.driver(sc.driver);
    const bytes = parseQuantity(pvc.spec.resources?.requests?.storage ?? '0', `PersistentVolumeClaim ${pvc.metadata.name}: spec.resources.requests.storage`);
    const call = () =>
      d.client.controller.createVolume({
        name: `pvc-${pvc.metadata.uid}`,
        capacityRange: { requiredBytes: BigInt(Math.ceil(bytes)) },
        volumeCapabilities: [capability(pvc.spec.accessModes?.[0])],
        parameters: sc.parameters ?? {},
      });
    const res = rec ? await rec.step('volumes', `CreateVolume ${pvc.metadata.name}`, call) : await call();
    c.volumeId = res.volume!.volumeId;
    c.capacityBytes = Number(res.volume!.capacityBytes);
    c.volumeContext = res.volume!.volumeContext;
    c.claim.status = { phase: 'Bound', capacity: { storage: String(c.capacityBytes) }, accessModes: pvc.spec.accessModes };
    this.save();
    return c;
  }

  /** Delete a claim's volume (reclaim policy Delete). Refuses while pods still use it. */
  async deleteClaim(key: string): Promise<void> {
    const c = this.claims.get(key);
    if (!c) return;
    if (c.users.length) throw new Error(`PersistentVolumeClaim ${key} is in use by pod(s) ${c.users.join(', ')}`);
    if (c.volumeId) {
      await this.driver(c.driver).client.controller.deleteVolume({ volumeId: c.volumeId });
    }
    this.claims.delete(key);
    this.save();
  }

  /** Make every volume of the pod available on the host; returns records in spec order. */
  async setUp(pod: Pod, rec: Recorder, done: VolumeRecord[]): Promise<VolumeRecord[]> {
    for (const v of pod.spec.volumes ?? []) {
      const prev = done.find((r) => r.name === v.name);
      // a CSI record whose publish failed stays in `done` (so teardown unpublishes it) but is not
      // set up: drop it and publish again, or the pod would start without its volume
      if (prev && ((prev.kind !== 'csi' && prev.kind !== 'pvc') || prev.published)) continue;
      if (prev) done.splice(done.indexOf(prev), 1);
      done.push(await this.setUpOne(pod, v, rec, done));
    }
    return done;
  }

  private async setUpOne(pod: Pod, v: Volume, rec: Recorder, done: VolumeRecord[]): Promise<VolumeRecord> {
    const uid = pod.metadata.uid!;
    if (v.emptyDir) {
      const p = join(this.podDir(uid), 'volumes', 'kubernetes.io~empty-dir', v.name);
      mkdirSync(p, { recursive: true, mode: 0o777 });
      return { name: v.name, kind: 'emptyDir', hostPath: p, readOnly: false, createdDir: true };
    }
    if (v.hostPath) {
      const p = v.hostPath.path;
      const type = v.hostPath.type ?? '';
      const exists = existsSync(p);
      if (type === 'DirectoryOrCreate' && !exists) mkdirSync(p, { recursive: true, mode: 0o755 });
      else if (type === 'Directory' && !(exists && statSync(p).isDirectory())) throw new Error(`hostPath ${p} (volume ${v.name}) is not a directory`);
      else if (type === 'File' && !(exists && statSync(p).isFile())) throw new Error(`hostPath ${p} (volume ${v.name}) is not a file`);
      else if (type === 'Socket' && !(exists && statSync(p).isSocket())) throw new Error(`hostPath ${p} (volume ${v.name}) is not a socket`);
      return { name: v.name, kind: 'hostPath', hostPath: p, readOnly: false };
    }
    const target = join(this.podDir(uid), 'volumes', 'kubernetes.io~csi', v.name, 'mount');
    if (v.csi) {
      const d = this.driver(v.csi.driver);
      const volumeId = `csi-${createHash('sha256').update(`${uid}/${v.name}`).digest('hex').slice(0, 40)}`;
      const r: VolumeRecord = { name: v.name, kind: 'csi', hostPath: target, readOnly: !!v.csi.readOnly, driver: d.name, volumeId, ephemeral: true };
      done.push(r); // recorded before the call: a failed or interrupted publish is still unpublished on teardown
      mkdirSync(dirname(target), { recursive: true });
      await rec.step('volumes', `NodePublishVolume ${v.name} (ephemeral)`, () =>
        d.client.node.nodePublishVolume({
          volumeId,
          targetPath: target,
          volumeCapability: capability(),
          readonly: !!v.csi!.readOnly,
          volumeContext: {
            ...(v.csi!.volumeAttributes ?? {}),
            [EPHEMERAL]: 'true',
            'csi.storage.k8s.io/pod.name': pod.metadata.name,
            'csi.storage.k8s.io/pod.namespace': pod.metadata.namespace!,
            'csi.storage.k8s.io/pod.uid': uid,
          },
        }),
      );
      r.published = true;
      done.pop();
      return r;
    }
    if (v.persistentVolumeClaim) {
      const key = claimKey(pod.metadata.namespace!, v.persistentVolumeClaim.claimName);
      const c = this.claims.get(key);
      if (!c)
        throw new Error(
          `volume ${v.name}: PersistentVolumeClaim ${JSON.stringify(v.persistentVolumeClaim.claimName)} not found in namespace ${pod.metadata.namespace}`,
        );
      if (!c.volumeId) await this.provision(c.claim, rec);
      const d = this.driver(c.driver);
      const readOnly = !!v.persistentVolumeClaim.readOnly;
      const r: VolumeRecord = { name: v.name, kind: 'pvc', hostPath: target, readOnly, driver: d.name, volumeId: c.volumeId, claim: key };
      if (!c.users.includes(uid)) c.users.push(uid);
      done.push(r);
      const cap = capability(c.claim.spec.accessModes?.[0]);
      if (d.controllerPublish && !c.controllerPublished) {
        const res = await rec.step('volumes', `ControllerPublishVolume ${v.name}`, () =>
          d.client.controller.controllerPublishVolume({
            volumeId: c.volumeId!,
            nodeId: d.nodeId,
            volumeCapability: cap,
            readonly: false,
            volumeContext: c.volumeContext ?? {},
          }),
        );
        c.publishContext = res.publishContext;
        c.controllerPublished = true;
        this.save();
      }
      if (d.stage && !c.staged) {
        c.stagingPath = join(
          this.opts.rootDir,
          'plugins',
          'kubernetes.io',
          'csi',
          d.name,
          createHash('sha256').update(c.volumeId!).digest('hex'),
          'globalmount',
        );
        mkdirSync(c.stagingPath, { recursive: true });
        await rec.step('volumes', `NodeStageVolume ${v.name}`, () =>
          d.client.node.nodeStageVolume({
            volumeId: c.volumeId!,
            stagingTargetPath: c.stagingPath!,
            volumeCapability: cap,
            publishContext: c.publishContext ?? {},
            volumeContext: c.volumeContext ?? {},
          }),
        );
        c.staged = true;
        this.save();
      }
      mkdirSync(dirname(target), { recursive: true });
      await rec.step('volumes', `NodePublishVolume ${v.name}`, () =>
        d.client.node.nodePublishVolume({
          volumeId: c.volumeId!,
          targetPath: target,
          stagingTargetPath: c.staged ? c.stagingPath : '',
          volumeCapability: cap,
          readonly: readOnly,
          publishContext: c.publishContext ?? {},
          volumeContext: c.volumeContext ?? {},
        }),
      );
      r.published = true;
      done.pop();
      return r;
    }
    throw new Error(`volume ${v.name}: no supported volume source`);
  }

  /** Undo setUp for one pod, last volume first. Errors are collected, not stopped at. */
  async tearDown(pod: { uid: string }, records: VolumeRecord[], rec?: Recorder): Promise<Error[]> {
    const errors: Error[] = [];
    const step = <T>(name: string, fn: () => Promise<T>) => (rec ? rec.step('teardown', name, fn) : fn());
    for (const r of [...records].reverse()) {
      try {
        if ((r.kind === 'csi' || r.kind === 'pvc') && r.volumeId) {
          const d = this.driver(r.driver!);
          await step(`NodeUnpublishVolume ${r.name}`, () => d.client.node.nodeUnpublishVolume({ volumeId: r.volumeId!, targetPath: r.hostPath }));
          r.published = false;
          if (r.kind === 'pvc') await this.releaseClaim(r.claim!, pod.uid, step);
        }
        records.splice(records.indexOf(r), 1);
      } catch (err) {
        errors.push(err as Error);
      }
    }
    if (errors.length === 0) {
      const dir = this.podDir(pod.uid);
      const err = stillMounted(dir, 'the pod directory');
      if (err) errors.push(err);
      else rmSync(dir, { recursive: true, force: true });
    }
    return errors;
  }

  private async releaseClaim(key: string, uid: string, step: <T>(name: string, fn: () => Promise<T>) => Promise<T>): Promise<void> {
    const c = this.claims.get(key);
    if (!c) return;
    c.users = c.users.filter((u) => u !== uid);
    if (c.users.length === 0) {
      const d = this.driver(c.driver);
      if (c.staged) {
        await step(`NodeUnstageVolume ${c.claim.metadata.name}`, () =>
          d.client.node.nodeUnstageVolume({ volumeId: c.volumeId!, stagingTargetPath: c.stagingPath! }),
        );
        c.staged = false;
        const err = stillMounted(dirname(c.stagingPath!), `staging path of ${c.claim.metadata.name}`);
        if (err) throw err;
        rmSync(dirname(c.stagingPath!), { recursive: true, force: true });
      }
      if (c.controllerPublished) {
        await step(`ControllerUnpublishVolume ${c.claim.metadata.name}`, () =>
          d.client.controller.controllerUnpublishVolume({ volumeId: c.volumeId!, nodeId: d.nodeId }),
        );
        c.controllerPublished = false;
      }
    }
    this.save();
  }

  restoreClaims(list: ClaimRecord[]): void {
    for (const c of list) this.claims.set(c.key, c);
  }

  private save(): void {
    this.opts.saveClaims([...this.claims.values()]);
  }
}

function capability(mode?: string): DeepPartial<VolumeCapability> {
  const m =
    mode === 'ReadWriteMany'
      ? AccessMode.MULTI_NODE_MULTI_WRITER
      : mode === 'ReadOnlyMany'
        ? AccessMode.MULTI_NODE_READER_ONLY
        : mode === 'ReadWriteOncePod'
          ? AccessMode.SINGLE_NODE_SINGLE_WRITER
          : AccessMode.SINGLE_NODE_WRITER;
  return { mount: {}, accessMode: { mode: m } };
}

export { CtlCap, NodeCap };

/**
 * A driver that answered Node(Un)publish/Unstage OK but left a mount: removing the directory
 * would delete the volume's data through it, so (as kubelet does) refuse and report instead.
 */
function stillMounted(dir: string, what: string): Error | undefined {
  const left = mountsUnder(dir);
  if (!left.length) return undefined;
  return new Error(
    `${what} ${dir} still has mounts after the CSI driver answered OK (${left.join(', ')}); left in place so no volume data is deleted through them`,
  );
}
