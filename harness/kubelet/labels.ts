// Label and annotation keys the harness puts on CRI objects. The io.kubernetes.* keys are the
// ones kubelet writes (so tools like crictl show pod/container names as usual); triad.dev/* keys
// let a restarted harness find, adopt or clean up what it created.
export const POD_NAME = 'io.kubernetes.pod.name';
export const POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const POD_UID = 'io.kubernetes.pod.uid';
export const CONTAINER_NAME = 'io.kubernetes.container.name';
export const CONTAINER_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const MANAGED = 'triad.dev/managed';
/** Name of the harness instance (its state dir hash), so two harnesses on one runtime never touch each other's pods. */
export const INSTANCE = 'triad.dev/instance';
export const CONTAINER_KIND = 'triad.dev/container-kind';
