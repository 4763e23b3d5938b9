// triad/harness: a node for your tests — startHarness on a triad.yaml or a config object, apply
// manifests, wait, read status, events, logs and timelines, tear down. Below it: the node, the
// config and manifest loaders, and the output formats the CLI prints.
export * from './api.js';
export { startNode, type Node, type NodeOptions } from './node.js';
export {
  loadConfig,
  parseConfig,
  defaultStateDir,
  ConfigError,
  type TriadConfig,
  type RuntimeConfig,
  type NetworkConfig,
  type DriverConfig,
  type ClassConfig,
  type KubeletConfig,
} from './config/config.js';
export { Kubelet } from './kubelet/kubelet.js';
export { loadManifests, parseManifests, validateManifest, ManifestError } from './manifest/index.js';
export { podTable, describePod, podsJson, podsYaml, podStatusV1, timelineText, timelineSvg, timelineHtml, timelineJson } from './output/index.js';
export type { Manifest, Pod, PersistentVolumeClaim, PodEvent, PodTimeline, TimelineStep } from './api/types.js';
