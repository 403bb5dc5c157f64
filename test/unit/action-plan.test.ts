// The one decision of which actions an evaluation calls for, shared by the daemon's ActionRunner
// and `canary backtest`.
import { describe, expect, it } from 'vitest';
import { actionsDue, rollbackKey, type ActionMarks } from '../../src/canary/actions/action-plan.js';
import { evaluateRule } from '../../src/canary/engine/evaluator.js';
import { parseRuleText } from '../../src/canary/rules/load-rules.js';
import type { AlertingRule, EvalOutcome, RuleState } from '../../src/canary/types.js';

function rule(action: string): AlertingRule {
  const r = parseRuleText(
    `groups:\n  - name: g\n    rules:\n      - alert: a\n        expr: x > 1\n        labels: { action: ${action}, flag: f }\n`,
    'r.yml',
    { defaultIntervalMs: 1000 },
  );
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.groups[0]!.rules[0] as AlertingRule;
}

/** Outcomes of evaluations at 0, 1000, … with the series present (true) or not. */
function run(r: AlertingRule, present: boolean[]): EvalOutcome[] {
  let state: RuleState | undefined;
  return present.map((p, i) => {
    const out = evaluateRule(
      r,
      { ok: true, samples: p ? [{ labels: {}, value: 2 }] : [] },
      i * 1000,
      state,
    );
    state = out.state;
    return out;
  });
}

const none: ActionMarks = { rollbackDone: () => false, notified: () => undefined };

describe('actionsDue', () => {
  it('rolls back a firing instance unless that rollback is done, and notifies the dev team', () => {
    const r = rule('immediate_rollback');
    const [, firing] = run(r, [true, true]); // for: 0 → firing at once
    const inst = [...firing!.state.instances.values()][0]!;
    expect(actionsDue(r, firing!, 1000, none, 60_000).map((s) => `${s.action} ${s.kind}`)).toEqual([
      'immediate_rollback rollback',
      'notify_dev_team notify',
    ]);
    const done: ActionMarks = {
      rollbackDone: (k) => k === rollbackKey('a', inst.key, inst.activeAt),
      notified: () => ({ activeAt: inst.activeAt, lastSentAt: 1000 }),
    };
    expect(actionsDue(r, firing!, 2000, done, 60_000)).toEqual([]);
  });

  it.each([
    ['notify_product_team', ['immediate_rollback rollback', 'notify_product_team notify']],
    ['none', ['immediate_rollback rollback']],
  ])('a rollback declaring notify: %s tells whom it declares', (notify, expected) => {
    const r = rule(`immediate_rollback, notify: ${notify}`);
    const [, firing] = run(r, [true, true]);
    expect(actionsDue(r, firing!, 1000, none, 60_000).map((s) => `${s.action} ${s.kind}`)).toEqual(
      expected,
    );
  });

  it('resends after the resend delay, and sends resolved only for a notified instance', () => {
    const r = rule('notify_product_team');
    const outs = run(r, [true, true, false]);
    const inst = [...outs[1]!.state.instances.values()][0]!;
    const sent: ActionMarks = {
      rollbackDone: () => false,
      notified: () => ({ activeAt: inst.activeAt, lastSentAt: 0 }),
    };
    expect(
      actionsDue(r, outs[1]!, 1000, sent, 1000).map((s) => s.kind === 'notify' && s.event),
    ).toEqual(['resend']);
    expect(actionsDue(r, outs[1]!, 999, sent, 1000)).toEqual([]);
    expect(
      actionsDue(r, outs[2]!, 2000, sent, 1000).map((s) => s.kind === 'notify' && s.event),
    ).toEqual(['resolved']);
    expect(actionsDue(r, outs[2]!, 2000, none, 1000)).toEqual([]);
  });
});
