// What the daemon asks Prometheus for one alerting rule, and how the answers become the rule's
// query result and the value its status page shows, with no expression evaluated twice.
// A rule written `lhs > 0.1`, optionally followed by `and`/`unless` guards, is asked for its parts:
// the left side (which is also the value shown) and each guard. The comparison and the guards are
// then applied here exactly as PromQL applies them: a filter comparison keeps the samples for which
// it holds, labels (metric name included) and value unchanged, NaN never holding; `and` keeps the
// left samples whose match key the right side has, `unless` those it has not, the key being the
// `on(…)` labels, or every label but the metric name and the `ignoring(…)` ones. Any other rule is
// asked its whole expression and shows no value of its own (the page falls back to its instance's).
// Pure: the engine does the querying.
import type { QueryOutcome } from './prometheus-client.js';
import type { AlertingRule, Sample, SetGuard, Threshold } from '../types.js';

export interface RuleQuery {
  /** The expressions to query, in the order `derive` wants their outcomes. */
  readonly exprs: readonly string[];
  /** The rule's result (as if its whole expression had been queried) and the value shown. */
  derive(outcomes: readonly QueryOutcome[]): RuleAnswer;
}

export interface RuleAnswer {
  readonly result: QueryOutcome;
  /** The threshold's left side now (largest, or smallest for `<` rules); undefined: not known. */
  readonly value: number | null | undefined;
}

export function planRuleQuery(rule: AlertingRule): RuleQuery {
  const t = rule.query ? rule.query.threshold : rule.threshold;
  if (t?.guards === undefined) {
    return {
      exprs: [rule.query?.expr ?? rule.expr],
      derive: ([o]) => ({ result: o!, value: undefined }),
    };
  }
  const guards = t.guards;
  return {
    exprs: [t.lhs, ...guards.map((g) => g.expr)],
    derive(outcomes) {
      const failed = outcomes.find((o) => !o.ok);
      if (failed !== undefined) return { result: failed, value: undefined };
      const [lhs, ...rest] = outcomes.map((o) => (o.ok ? o.samples : []));
      let samples = lhs!.filter((s) => holds(t, s.value));
      guards.forEach((g, i) => (samples = applyGuard(g, samples, rest[i]!)));
      return { result: { ok: true, samples }, value: shownValue(t, lhs!) };
    },
  };
}

function holds(t: Threshold, v: number): boolean {
  switch (t.op) {
    case '>':
      return v > t.value;
    case '>=':
      return v >= t.value;
    case '<':
      return v < t.value;
    case '<=':
      return v <= t.value;
    case '==':
      return v === t.value;
    case '!=':
      // NaN != x is true in Go as in JavaScript.
      return v !== t.value;
  }
}

function applyGuard(g: SetGuard, left: readonly Sample[], right: readonly Sample[]): Sample[] {
  const keys = new Set(right.map((s) => matchKey(g, s.labels)));
  const keep = g.op === 'and';
  return left.filter((s) => keys.has(matchKey(g, s.labels)) === keep);
}

/** The label set two samples are matched on; an absent label equals an empty one, as in PromQL. */
function matchKey(g: SetGuard, labels: Readonly<Record<string, string>>): string {
  if (g.matching?.on) return JSON.stringify(g.matching.labels.map((n) => labels[n] ?? ''));
  const ignored = new Set(['__name__', ...(g.matching?.labels ?? [])]);
  const kept = Object.entries(labels)
    .filter(([n, v]) => !ignored.has(n) && v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(kept);
}

/** One number for the page: the largest (or, for `<` rules, the smallest) series value. */
function shownValue(t: Threshold, samples: readonly Sample[]): number | null {
  const values = samples.map((s) => s.value).filter((v) => !Number.isNaN(v));
  if (values.length === 0) return null;
  return t.op === '<' || t.op === '<=' ? Math.min(...values) : Math.max(...values);
}
