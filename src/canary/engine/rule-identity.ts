// Rule identity across reloads and restarts, as Prometheus 2.42's rule manager has it
// (rules/manager.go: Manager.Update, Group.CopyState): a group is its file and its name; within
// it, an alerting rule is its name plus its own (unexpanded) labels, and the n-th of several rules
// sharing both is the n-th again. State is keyed by this id, so a reload that edits a rule's
// expression, threshold, `for`, `keep_firing_for` or annotations keeps its active alerts and
// their activeAt, while a renamed or relabelled rule, or one moved to another group or file,
// starts fresh. The state file uses the same ids, so a restart follows the same identity.
import { alertKey } from './alert-key.js';
import type { AlertingRule, RuleGroup } from '../types.js';

export interface KeyedRule {
  /** `<file>::<group>::<alert>{<labels>}`, with `#2`, `#3`… on rules sharing name and labels. */
  readonly id: string;
  readonly group: RuleGroup;
  readonly rule: AlertingRule;
}

/** Every alerting rule of `groups` with its state id, in file order. */
export function identifyRules(groups: readonly RuleGroup[]): KeyedRule[] {
  const out: KeyedRule[] = [];
  for (const group of groups) {
    // Recording rules count too: CopyState pairs rules by ordinal among all rules sharing a name
    // and labels, whatever their kind.
    const seen = new Map<string, number>();
    for (const rule of group.rules) {
      const base = `${group.file}::${group.name}::${rule.name}{${alertKey(rule.labels)}}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      if (rule.kind === 'alert') out.push({ id: n === 1 ? base : `${base}#${n}`, group, rule });
    }
  }
  return out;
}
