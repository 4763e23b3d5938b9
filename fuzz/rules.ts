// Findings name the spec rule they break by its id in conformance/rules/*.yaml. Ids are looked
// up here, so a finding can never cite a rule that is not written down (an unknown id throws).
import { findRule } from '../conformance/rules/index.js';

export interface RuleRef {
  id: string;
  says: string;
}

/** The rule with this id (cri.*, csi.*, cni.*); throws for an id the rules files lack. */
export function rule(id: string): RuleRef {
  const r = findRule(id);
  if (!r) throw new Error(`fuzz: no rule ${id} in conformance/rules/${id.split('.')[0]}.yaml`);
  return { id: r.id, says: r.says };
}

/** The first of `ids` that exists (a field's own rule before the general one). */
export function firstRule(...ids: string[]): RuleRef {
  for (const id of ids) {
    const r = findRule(id);
    if (r) return { id: r.id, says: r.says };
  }
  return rule(ids[ids.length - 1]);
}
