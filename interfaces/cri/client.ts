// CRI client: RuntimeService and ImageService, which may live on different endpoints
// (crictl's --runtime-endpoint / --image-endpoint).
import { ImageServiceDefinition, RuntimeServiceDefinition } from '../gen/cri/api.js';
import { Connection, type ConnectionOptions, type PromiseClient } from '../grpc/client.js';

export type RuntimeClient = PromiseClient<typeof RuntimeServiceDefinition>;
export type ImageClient = PromiseClient<typeof ImageServiceDefinition>;

export interface CriClientOptions extends ConnectionOptions {
  /** Defaults to the runtime endpoint. */
  imageEndpoint?: string;
}

export class CriClient {
  readonly runtime: RuntimeClient;
  readonly image: ImageClient;
  private readonly conns: Connection[];

  constructor(runtimeEndpoint: string, opts: CriClientOptions = {}) {
    const rc = new Connection(runtimeEndpoint, opts);
    const ic = opts.imageEndpoint && opts.imageEndpoint !== runtimeEndpoint ? new Connection(opts.imageEndpoint, opts) : rc;
    this.conns = rc === ic ? [rc] : [rc, ic];
    this.runtime = rc.service(RuntimeServiceDefinition);
    this.image = ic.service(ImageServiceDefinition);
  }

  get endpoint(): string {
    return this.conns[0].endpoint.display;
  }

  async waitForReady(timeoutMs = 10_000): Promise<void> {
    await Promise.all(this.conns.map((c) => c.waitForReady(timeoutMs)));
  }

  close(): void {
    for (const c of this.conns) c.close();
  }
}

/** Default runtime endpoint, as crictl resolves it. */
export function defaultRuntimeEndpoint(env = process.env): string {
  return env.CONTAINER_RUNTIME_ENDPOINT || 'unix:///run/containerd/containerd.sock';
}
