// Rule identity across reloads and restarts. A rule's id is derived from its whole definition, so
// state keyed by id survives a reload (or a restart, through the state file) exactly when the rule
// did not change, as Prometheus keeps the state of unchanged rules; a changed rule starts fresh.
import { createHash } from 'node:crypto';
import type { AlertingRule, RuleGroup, RuleState } from './types.js';

export interface KeyedRule {
  /** `<group>/<alert>@<hash of the definition>`, with `#2`, `#3`… on exact duplicates. */
  readonly id: string;
  readonly group: RuleGroup;
  readonly rule: AlertingRule;
}

/** Every alerting rule of `groups` with its id, in file order. */
export function keyRules(groups: readonly RuleGroup[]): KeyedRule[] {
  const out: KeyedRule[] = [];
  const seen = new Map<string, number>();
  for (const group of groups) {
    for (const rule of group.rules) {
      if (rule.kind !== 'alert') continue;
      const base = `${group.name}/${rule.name}@${definitionHash(rule)}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      out.push({ id: n === 1 ? base : `${base}#${n}`, group, rule });
    }
  }
  return out;
}

/** The id of one rule of `groups` (the same rule object the loader returned). */
export function ruleId(groups: readonly RuleGroup[], rule: AlertingRule): string | undefined {
  return keyRules(groups).find((k) => k.rule === rule)?.id;
}

/** The states of the rules that are still defined identically in `groups`; the rest are dropped. */
export function carryState(
  prev: ReadonlyMap<string, RuleState>,
  groups: readonly RuleGroup[],
): Map<string, RuleState> {
  const next = new Map<string, RuleState>();
  for (const { id } of keyRules(groups)) {
    const state = prev.get(id);
    if (state !== undefined) next.set(id, state);
  }
  return next;
}

function definitionHash(rule: AlertingRule): string {
  const canonical = JSON.stringify([
    rule.name,
    rule.expr,
    rule.forMs,
    rule.keepFiringForMs,
    sorted(rule.labels),
    sorted(rule.annotations),
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

function sorted(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
