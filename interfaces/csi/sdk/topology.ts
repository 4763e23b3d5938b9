// Topology segments: validating accessibility_requirements and matching a topology to a node.
import type { TopologyRequirement } from '../../gen/csi/csi.js';
import { invalidArgument } from '../../grpc/errors.js';

export type Segments = Record<string, string>;

/** An empty requirement (neither requisite nor preferred) is a CO bug, not "anywhere". */
export function validRequirement(req: TopologyRequirement | undefined, field: string): TopologyRequirement | undefined {
  if (!req) return undefined;
  if (!req.requisite.length && !req.preferred.length) throw invalidArgument(`${field}: give requisite or preferred topologies (or leave the field unset)`);
  return req;
}

/** Topology `t` describes (part of) segments `node`: every key of t has the node's value. */
export function within(t: Segments, node: Segments): boolean {
  const keys = Object.keys(t);
  return keys.length > 0 && keys.every((k) => node[k] === t[k]);
}
