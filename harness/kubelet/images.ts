// Image pulls per imagePullPolicy, as kubelet's image manager: Always pulls, IfNotPresent asks
// ImageStatus first, Never only checks. A failed pull is ErrImagePull; retries inside the
// backoff window are refused with ImagePullBackOff without calling the runtime.
import type { CriClient } from '../../interfaces/cri/client.js';
import type { Container } from '../api/types.js';
import type { Backoff } from './backoff.js';
import type { Recorder } from './recorder.js';

export class ImagePullError extends Error {
  constructor(
    readonly reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull' | 'InvalidImageName',
    message: string,
  ) {
    super(message);
    this.name = 'ImagePullError';
  }
}

/** A pulled image: what containers run, and the user its config names (kubelet runs as that user when the pod names none). */
export interface PulledImage {
  ref: string;
  imageId: string;
  uid?: bigint;
  username?: string;
}

const userOf = (img: { uid?: { value: bigint }; username: string } | undefined) => ({ uid: img?.uid?.value, username: img?.username || undefined });

export class ImageManager {
  /** When each image key last failed, for the backoff window. */
  private readonly lastFailure = new Map<string, number>();

  constructor(
    private readonly cri: CriClient,
    private readonly backoff: Backoff,
  ) {}

  async ensure(c: Container, podKey: string, sandboxConfig: object, rec: Recorder): Promise<PulledImage> {
    const image = c.image;
    const policy = c.imagePullPolicy ?? 'IfNotPresent';
    const key = `${podKey}/image/${image}`;
    const object = `spec.containers{${c.name}}`;
    if (policy !== 'Always') {
      const st = await this.cri.image.imageStatus({ image: { image } });
      if (st.image?.id) {
        rec.event('Normal', 'Pulled', `Container image "${image}" already present on machine`, object);
        return { ref: st.image.id, imageId: st.image.repoDigests[0] ?? st.image.id, ...userOf(st.image) };
      }
      if (policy === 'Never') {
        const msg = `Container image "${image}" is not present with pull policy of Never`;
        rec.event('Warning', 'ErrImageNeverPull', msg, object);
        throw new ImagePullError('ErrImageNeverPull', msg);
      }
    }
    const failedAt = this.lastFailure.get(key);
    if (failedAt !== undefined && this.backoff.inBackoff(key, failedAt)) {
      const msg = `Back-off pulling image "${image}"`;
      rec.event('Normal', 'BackOff', msg, object);
      throw new ImagePullError('ImagePullBackOff', msg);
    }
    rec.event('Normal', 'Pulling', `Pulling image "${image}"`, object);
    const started = Date.now();
    try {
      const res = await rec.step('images', `PullImage ${image}`, () => this.cri.image.pullImage({ image: { image }, sandboxConfig }));
      this.lastFailure.delete(key);
      this.backoff.reset(key);
      const st = await this.cri.image.imageStatus({ image: { image: res.imageRef } });
      rec.event('Normal', 'Pulled', `Successfully pulled image "${image}" in ${Date.now() - started}ms`, object);
      return { ref: res.imageRef, imageId: st.image?.repoDigests[0] ?? res.imageRef, ...userOf(st.image) };
    } catch (err) {
      const now = Date.now();
      this.backoff.next(key, now);
      this.lastFailure.set(key, now);
      const msg = `Failed to pull image "${image}": ${(err as Error).message}`;
      rec.event('Warning', 'Failed', msg, object);
      rec.event('Warning', 'Failed', 'Error: ErrImagePull', object);
      throw new ImagePullError('ErrImagePull', msg);
    }
  }

  forget(podKey: string): void {
    for (const k of this.lastFailure.keys()) if (k.startsWith(`${podKey}/`)) this.lastFailure.delete(k);
    this.backoff.forget(`${podKey}/image/`);
  }
}
