// The pod's QoS class as kubectl's qos.GetPodQOS reports it: status.qosClass when the kubelet
// set it, otherwise computed from the spec.
import { computePodQOS, type QOSClass } from '../api/qos.js';
import type { Pod } from '../api/types.js';

export { computePodQOS, type QOSClass };

export function podQOS(pod: Pod): QOSClass {
  return pod.status?.qosClass ?? computePodQOS(pod);
}
