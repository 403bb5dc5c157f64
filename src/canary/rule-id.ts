// A rule's identity for state: where it lives plus a fingerprint of its definition, so a reload
// keeps the state of rules that did not change and starts changed ones afresh (as Prometheus does).
import { createHash } from 'node:crypto';
import type { AlertingRule, RuleGroup } from './types.js';

export function ruleFingerprint(rule: AlertingRule): string {
  const def = JSON.stringify([rule.expr, rule.forMs, rule.keepFiringForMs, sorted(rule.labels), sorted(rule.annotations)]);
  return createHash('sha256').update(def).digest('hex').slice(0, 12);
}

export function ruleId(group: Pick<RuleGroup, 'file' | 'name'>, rule: AlertingRule): string {
  return `${group.file}::${group.name}::${rule.name}::${ruleFingerprint(rule)}`;
}

function sorted(r: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
