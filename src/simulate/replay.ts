// The daemon's own evaluator stepped over a simulated run: the alert expression's values (from
// the real PromQL engine, at the group's interval) go through `evaluateRule` one evaluation at a
// time, exactly as the daemon would see them live. Pure: the values are an argument.
import { evaluateRule } from '../canary/engine/evaluator.js';
import type { AlertingRule, RuleState, Sample } from '../canary/types.js';
import type { Segment } from './plan.js';

/** Firing moments (pending → firing) in each segment, each segment from a fresh alert state. */
export function firingsBySegment(
  rule: AlertingRule,
  values: ReadonlyMap<number, readonly Sample[]>,
  segments: readonly Segment[],
  intervalMs: number,
): number[][] {
  return segments.map((seg) => {
    let state: RuleState | undefined;
    const fired: number[] = [];
    for (let now = seg.fromMs; now <= seg.toMs; now += intervalMs) {
      const out = evaluateRule(rule, { ok: true, samples: values.get(now) ?? [] }, now, state);
      state = out.state;
      for (const t of out.transitions) if (t.to === 'firing') fired.push(now);
    }
    return fired;
  });
}
