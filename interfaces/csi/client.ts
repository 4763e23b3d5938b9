// CSI client: the five csi.v1 services. The controller services may sit on a separate endpoint
// (csi-sanity's --csi.controllerendpoint).
import { ControllerDefinition, GroupControllerDefinition, IdentityDefinition, NodeDefinition, SnapshotMetadataDefinition } from '../gen/csi/csi.js';
import { Connection, type ConnectionOptions, type PromiseClient } from '../grpc/client.js';

export type IdentityClient = PromiseClient<typeof IdentityDefinition>;
export type ControllerClient = PromiseClient<typeof ControllerDefinition>;
export type NodeClient = PromiseClient<typeof NodeDefinition>;
export type GroupControllerClient = PromiseClient<typeof GroupControllerDefinition>;
export type SnapshotMetadataClient = PromiseClient<typeof SnapshotMetadataDefinition>;

export interface CsiClientOptions extends ConnectionOptions {
  controllerEndpoint?: string;
}

export class CsiClient {
  readonly identity: IdentityClient;
  readonly controller: ControllerClient;
  readonly node: NodeClient;
  readonly groupController: GroupControllerClient;
  readonly snapshotMetadata: SnapshotMetadataClient;
  private readonly conns: Connection[];

  constructor(endpoint: string, opts: CsiClientOptions = {}) {
    const nc = new Connection(endpoint, opts);
    const cc = opts.controllerEndpoint && opts.controllerEndpoint !== endpoint ? new Connection(opts.controllerEndpoint, opts) : nc;
    this.conns = nc === cc ? [nc] : [nc, cc];
    this.identity = nc.service(IdentityDefinition);
    this.node = nc.service(NodeDefinition);
    this.controller = cc.service(ControllerDefinition);
    this.groupController = cc.service(GroupControllerDefinition);
    this.snapshotMetadata = cc.service(SnapshotMetadataDefinition);
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
