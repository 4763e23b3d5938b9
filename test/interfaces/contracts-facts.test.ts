// Upstream facts checked independently of our .proto files: RPC sets and streaming flags, and
// field numbers / enum values of the messages plugins use most. A drift in any of these
// silently breaks the wire against real runtimes and drivers.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { apiSize, descriptors, enumsOf, messagesOf, type FileDesc } from '../helpers/descriptors.js';

const t = suite('contracts: upstream facts');
const file = (name: string) => descriptors().find((f) => f.name === name)!;

function rpcs(f: FileDesc, service: string): string[] {
  return f.service!.find((s) => s.name === service)!.method.map((m) => m.name + (m.serverStreaming ? '~' : ''));
}
function fields(f: FileDesc, msg: string): Record<string, number> {
  const m = messagesOf(f).get(`.${f.package}.${msg}`);
  assert.ok(m, `no message ${msg}`);
  return Object.fromEntries((m!.desc.field ?? []).map((x) => [x.name, x.number]));
}
function enumValues(f: FileDesc, name: string): Record<string, number> {
  const e = enumsOf(f).get(`.${f.package}.${name}`);
  assert.ok(e, `no enum ${name}`);
  return Object.fromEntries(e!.value.map((v) => [v.name, v.number]));
}

t('CRI runtime.v1 services', () => {
  const cri = file('cri/api.proto');
  assert.is(cri.package, 'runtime.v1');
  const rt = rpcs(cri, 'RuntimeService');
  assert.is(rt.length, 37);
  for (const name of [
    'Version',
    'RunPodSandbox',
    'StopPodSandbox',
    'RemovePodSandbox',
    'PodSandboxStatus',
    'ListPodSandbox',
    'CreateContainer',
    'StartContainer',
    'StopContainer',
    'RemoveContainer',
    'ListContainers',
    'ContainerStatus',
    'UpdateContainerResources',
    'ReopenContainerLog',
    'ExecSync',
    'Exec',
    'Attach',
    'PortForward',
    'ContainerStats',
    'ListContainerStats',
    'PodSandboxStats',
    'ListPodSandboxStats',
    'UpdateRuntimeConfig',
    'Status',
    'CheckpointContainer',
    'ListMetricDescriptors',
    'ListPodSandboxMetrics',
    'RuntimeConfig',
    'UpdatePodSandboxResources',
    'CheckpointPod',
    'RestorePod',
  ]) {
    assert.ok(rt.includes(name), `RuntimeService lacks ${name}`);
  }
  assert.ok(rt.includes('GetContainerEvents~'), 'GetContainerEvents is server streaming');
  const img = rpcs(cri, 'ImageService');
  assert.is(img.length, 6);
  for (const name of ['ListImages', 'ImageStatus', 'PullImage', 'RemoveImage', 'ImageFsInfo']) assert.ok(img.includes(name));
  const sig = (rpc: string) => {
    const m = cri.service!.find((s) => s.name === 'RuntimeService')!.method.find((x) => x.name === rpc)!;
    return `${m.inputType} -> ${m.outputType}`;
  };
  assert.is(sig('CheckpointPod'), '.runtime.v1.CheckpointPodRequest -> .runtime.v1.CheckpointPodResponse');
  assert.is(sig('RestorePod'), '.runtime.v1.RestorePodRequest -> .runtime.v1.RestorePodResponse');
});

t('CRI size at cri-api 791729b (2026-07-23): 175 messages, 478 fields, 43 RPCs', () => {
  const cri = file('cri/api.proto');
  assert.equal(apiSize(cri), { messages: 175, fields: 478, rpcs: 43 });
});

t('CRI pod checkpoint/restore and mount options (Kubernetes 1.37)', () => {
  const cri = file('cri/api.proto');
  assert.equal(fields(cri, 'CheckpointPodRequest'), { pod_sandbox_id: 1, output_path: 2, container_ids: 3, options: 4 });
  assert.equal(fields(cri, 'CheckpointPodResponse'), {});
  assert.equal(fields(cri, 'RestorePodRequest'), { checkpoint_path: 1, config: 2, runtime_handler: 3, options: 4, container_configs: 5 });
  assert.equal(fields(cri, 'RestoredContainer'), { name: 1, container_id: 2 });
  assert.equal(fields(cri, 'RestorePodResponse'), { pod_sandbox_id: 1, restored_containers: 2 });
  const field = (msg: string, name: string) =>
    messagesOf(cri)
      .get(`.runtime.v1.${msg}`)!
      .desc.field!.find((f) => f.name === name)!;
  assert.equal(
    [field('RestorePodResponse', 'restored_containers').label, field('RestorePodResponse', 'restored_containers').typeName],
    ['LABEL_REPEATED', '.runtime.v1.RestoredContainer'],
  );
  assert.equal(
    [field('RestorePodRequest', 'container_configs').label, field('RestorePodRequest', 'container_configs').typeName],
    ['LABEL_REPEATED', '.runtime.v1.ContainerConfig'],
  );
  assert.is(field('RestorePodRequest', 'config').typeName, '.runtime.v1.PodSandboxConfig');
  assert.is(field('CheckpointPodRequest', 'options').typeName, '.runtime.v1.CheckpointPodRequest.OptionsEntry');
  const mo = field('Mount', 'mount_options');
  assert.equal([mo.number, mo.label, mo.type], [11, 'LABEL_REPEATED', 'TYPE_STRING']);
  assert.equal(fields(cri, 'RuntimeFeatures'), { supplemental_groups_policy: 1, user_namespaces_host_network: 2, mount_options: 3 });
});

t('CRI field numbers and enums', () => {
  const cri = file('cri/api.proto');
  assert.equal(fields(cri, 'PodSandboxConfig'), {
    metadata: 1,
    hostname: 2,
    log_directory: 3,
    dns_config: 4,
    port_mappings: 5,
    labels: 6,
    annotations: 7,
    linux: 8,
    windows: 9,
  });
  const cc = fields(cri, 'ContainerConfig');
  for (const [k, v] of Object.entries({
    metadata: 1,
    image: 2,
    command: 3,
    args: 4,
    working_dir: 5,
    envs: 6,
    mounts: 7,
    devices: 8,
    labels: 9,
    annotations: 10,
    log_path: 11,
    stdin: 12,
    stdin_once: 13,
    tty: 14,
    linux: 15,
    windows: 16,
    CDI_devices: 17,
  })) {
    assert.is(cc[k], v, `ContainerConfig.${k}`);
  }
  const cs = fields(cri, 'ContainerStatus');
  for (const [k, v] of Object.entries({
    id: 1,
    metadata: 2,
    state: 3,
    created_at: 4,
    started_at: 5,
    finished_at: 6,
    exit_code: 7,
    image: 8,
    image_ref: 9,
    reason: 10,
    message: 11,
    labels: 12,
    annotations: 13,
    mounts: 14,
    log_path: 15,
  })) {
    assert.is(cs[k], v, `ContainerStatus.${k}`);
  }
  assert.equal(fields(cri, 'RunPodSandboxRequest'), { config: 1, runtime_handler: 2 });
  assert.equal(fields(cri, 'ExecSyncRequest'), { container_id: 1, cmd: 2, timeout: 3 });
  assert.equal(enumValues(cri, 'ContainerState'), { CONTAINER_CREATED: 0, CONTAINER_RUNNING: 1, CONTAINER_EXITED: 2, CONTAINER_UNKNOWN: 3 });
  assert.equal(enumValues(cri, 'PodSandboxState'), { SANDBOX_READY: 0, SANDBOX_NOTREADY: 1 });
  assert.equal(enumValues(cri, 'Protocol'), { TCP: 0, UDP: 1, SCTP: 2 });
  assert.equal(enumValues(cri, 'NamespaceMode'), { POD: 0, CONTAINER: 1, NODE: 2, TARGET: 3 });
  assert.equal(enumValues(cri, 'MountPropagation'), { PROPAGATION_PRIVATE: 0, PROPAGATION_HOST_TO_CONTAINER: 1, PROPAGATION_BIDIRECTIONAL: 2 });
  // Signal keys carry the SIGNAL_ prefix since 1.37; the numbers are unchanged.
  const sig = enumValues(cri, 'Signal');
  assert.is(Object.keys(sig).length, 66);
  assert.ok(
    Object.keys(sig).every((k) => k.startsWith('SIGNAL_')),
    'every Signal key starts with SIGNAL_',
  );
  for (const [k, v] of Object.entries({
    SIGNAL_RUNTIME_DEFAULT: 0,
    SIGNAL_SIGABRT: 1,
    SIGNAL_SIGKILL: 13,
    SIGNAL_SIGQUIT: 18,
    SIGNAL_SIGTERM: 23,
    SIGNAL_SIGRTMIN: 35,
    SIGNAL_SIGRTMAXMINUS1: 64,
    SIGNAL_SIGRTMAX: 65,
  })) {
    assert.is(sig[k], v, `Signal.${k}`);
  }
});

t('CSI csi.v1 services', () => {
  const csi = file('csi/csi.proto');
  assert.is(csi.package, 'csi.v1');
  assert.equal(rpcs(csi, 'Identity'), ['GetPluginInfo', 'GetPluginCapabilities', 'Probe']);
  const ctl = rpcs(csi, 'Controller');
  for (const name of [
    'CreateVolume',
    'DeleteVolume',
    'ControllerPublishVolume',
    'ControllerUnpublishVolume',
    'ValidateVolumeCapabilities',
    'ListVolumes',
    'GetCapacity',
    'ControllerGetCapabilities',
    'CreateSnapshot',
    'DeleteSnapshot',
    'ListSnapshots',
    'ControllerExpandVolume',
    'ControllerGetVolume',
    'ControllerModifyVolume',
  ])
    assert.ok(ctl.includes(name), `Controller lacks ${name}`);
  assert.equal(rpcs(csi, 'Node').sort(), [
    'NodeExpandVolume',
    'NodeGetCapabilities',
    'NodeGetInfo',
    'NodeGetVolumeStats',
    'NodePublishVolume',
    'NodeStageVolume',
    'NodeUnpublishVolume',
    'NodeUnstageVolume',
  ]);
  assert.equal(rpcs(csi, 'GroupController').sort(), [
    'CreateVolumeGroupSnapshot',
    'DeleteVolumeGroupSnapshot',
    'GetVolumeGroupSnapshot',
    'GroupControllerGetCapabilities',
  ]);
  assert.equal(rpcs(csi, 'SnapshotMetadata'), ['GetMetadataAllocated~', 'GetMetadataDelta~']);
});

t('CSI field numbers and enums', () => {
  const csi = file('csi/csi.proto');
  assert.equal(fields(csi, 'CreateVolumeRequest'), {
    name: 1,
    capacity_range: 2,
    volume_capabilities: 3,
    parameters: 4,
    secrets: 5,
    volume_content_source: 6,
    accessibility_requirements: 7,
    mutable_parameters: 8,
  });
  assert.equal(fields(csi, 'NodePublishVolumeRequest'), {
    volume_id: 1,
    publish_context: 2,
    staging_target_path: 3,
    target_path: 4,
    volume_capability: 5,
    readonly: 6,
    secrets: 7,
    volume_context: 8,
  });
  assert.equal(fields(csi, 'NodeStageVolumeRequest'), {
    volume_id: 1,
    publish_context: 2,
    staging_target_path: 3,
    volume_capability: 4,
    secrets: 5,
    volume_context: 6,
  });
  assert.equal(fields(csi, 'CapacityRange'), { required_bytes: 1, limit_bytes: 2 });
  assert.equal(enumValues(csi, 'VolumeCapability.AccessMode.Mode'), {
    UNKNOWN: 0,
    SINGLE_NODE_WRITER: 1,
    SINGLE_NODE_READER_ONLY: 2,
    MULTI_NODE_READER_ONLY: 3,
    MULTI_NODE_SINGLE_WRITER: 4,
    MULTI_NODE_MULTI_WRITER: 5,
    SINGLE_NODE_SINGLE_WRITER: 6,
    SINGLE_NODE_MULTI_WRITER: 7,
  });
});

t('CNI 1.1.0 JSON keys and error codes', () => {
  const cni = file('cni/cni.proto');
  const json = (msg: string) => Object.fromEntries((messagesOf(cni).get(`.${cni.package}.${msg}`)!.desc.field ?? []).map((x) => [x.jsonName, x.number]));
  const keys = (msg: string) => Object.keys(json(msg));
  for (const k of ['cniVersion', 'cniVersions', 'name', 'disableCheck', 'disableGC', 'loadOnlyInlinedPlugins', 'plugins'])
    assert.ok(keys('NetworkConfigList').includes(k), `NetworkConfigList.${k}`);
  for (const k of ['type', 'capabilities', 'ipam', 'dns', 'args', 'runtimeConfig', 'prevResult'])
    assert.ok(keys('PluginConfig').includes(k), `PluginConfig.${k}`);
  for (const k of ['cniVersion', 'interfaces', 'ips', 'routes', 'dns']) assert.ok(keys('Result').includes(k), `Result.${k}`);
  for (const k of ['name', 'mac', 'mtu', 'sandbox', 'socketPath', 'pciID']) assert.ok(keys('Interface').includes(k), `Interface.${k}`);
  for (const k of ['address', 'gateway', 'interface']) assert.ok(keys('IpConfig').includes(k), `ips[].${k}`);
  for (const k of ['dst', 'gw', 'mtu', 'advmss', 'priority', 'table', 'scope']) assert.ok(keys('Route').includes(k), `routes[].${k}`);
  for (const k of ['nameservers', 'domain', 'search', 'options']) assert.ok(keys('Dns').includes(k), `dns.${k}`);
  for (const k of ['cniVersion', 'code', 'msg', 'details']) assert.ok(keys('ErrorResult').includes(k), `error.${k}`);
  for (const k of ['cniVersion', 'supportedVersions']) assert.ok(keys('VersionResult').includes(k), `version.${k}`);
  for (const k of ['containerID', 'ifname']) assert.ok(keys('GcAttachment').includes(k), `gc attachment.${k}`);
  const codes = enumValues(cni, 'ErrorCode');
  assert.equal(
    Object.values(codes)
      .filter((v) => v !== 0)
      .sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7, 11, 50, 51],
  );
});

t.run();
