// A reload keeps the state of every rule whose definition did not change, as Prometheus does.
import { describe, expect, it } from 'vitest';
import { carryState, keyRules } from '../../src/canary/carry-state.js';
import { evaluateRule } from '../../src/canary/evaluator.js';
import { parseRuleText } from '../../src/canary/rules/load-rules.js';
import type { AlertingRule, RuleGroup, RuleState } from '../../src/canary/types.js';

const MIN = 60_000;

function load(text: string): RuleGroup[] {
  const result = parseRuleText(text, 'reload.yml', { defaultIntervalMs: 15_000 });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.groups;
}

const file = (threshold: string, summary = 'errors at {{ $value }}') => `
groups:
  - name: canary
    rules:
      - alert: ai_service_failure
        expr: ratio > 0.1
        for: 5m
        labels: { action: immediate_rollback, flag: ai-search-enabled }
        annotations: { summary: '${summary}' }
      - alert: high_error_rate
        expr: api_ratio > ${threshold}
        for: 5m
`;

/** Evaluates every alert once with one active sample, so each has a pending instance. */
function pendingStates(groups: RuleGroup[], now: number): Map<string, RuleState> {
  const states = new Map<string, RuleState>();
  for (const { id, rule } of keyRules(groups)) {
    states.set(
      id,
      evaluateRule(rule, { ok: true, samples: [{ labels: {}, value: 1 }] }, now, undefined).state,
    );
  }
  return states;
}

describe('reload', () => {
  it('keeps the state of unchanged rules and starts changed ones fresh', () => {
    const before = load(file('0.05'));
    const states = pendingStates(before, 0);
    const after = load(file('0.01'));
    const carried = carryState(states, after);
    const byName = new Map(keyRules(after).map((k) => [k.rule.name, carried.get(k.id)]));
    expect(byName.get('ai_service_failure')?.instances.size).toBe(1);
    expect(byName.get('high_error_rate')).toBeUndefined();
    // The carried instance keeps its activeAt: it fires 5m after it first became pending.
    const rollback = keyRules(after).find((k) => k.rule.name === 'ai_service_failure') as {
      id: string;
      rule: AlertingRule;
    };
    const out = evaluateRule(
      rollback.rule,
      { ok: true, samples: [{ labels: {}, value: 1 }] },
      5 * MIN,
      carried.get(rollback.id),
    );
    expect(out.transitions.map((t) => t.to)).toEqual(['firing']);
  });

  it('treats an annotation change as a changed rule, and ignores where the file is', () => {
    const before = keyRules(load(file('0.05')));
    const reworded = keyRules(load(file('0.05', 'now at {{ $value }}')));
    expect(reworded[0]?.id).not.toBe(before[0]?.id);
    expect(reworded[1]?.id).toBe(before[1]?.id);
    const moved = parseRuleText(file('0.05'), 'elsewhere/rules.yml', { defaultIntervalMs: 60_000 });
    expect(moved.ok && keyRules(moved.groups).map((k) => k.id)).toEqual(before.map((k) => k.id));
  });

  it('gives readable ids, unique even for identical rules', () => {
    const twice = load(`
groups:
  - name: g
    rules:
      - { alert: dup, expr: x > 1 }
      - { alert: dup, expr: x > 1 }
`);
    const ids = keyRules(twice).map((k) => k.id);
    expect(ids[0]).toMatch(/^g\/dup@[0-9a-f]{12}$/);
    expect(ids[1]).toBe(`${ids[0]}#2`);
  });
});
