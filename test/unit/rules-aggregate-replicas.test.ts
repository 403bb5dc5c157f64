// With N service replicas every per-process series comes N times, once per `instance`. Each rule
// and dashboard query must therefore add the replicas up before it divides or takes a quantile
// (ratio of sums, histogram_quantile over `sum by (le)`): an unaggregated selector would give one
// answer per replica (a rule firing per replica, a ratio per replica), and `avg` would average
// ratios that carry different traffic. This reads every expression with Prometheus's own grammar.
// The e2e proof with real replicas is test/e2e/replicas-aggregation.test.ts.
import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_FILES, dashboardQueries } from '../../src/stack/dashboards/index.js';
import { findRuleFiles } from '../../src/stack/rule-files.js';

/** Series that are one per target on purpose: scrape health, and Prometheus's own alerts. */
const PER_TARGET = new Set(['up', 'ALERTS', 'ALERTS_FOR_STATE']);
/** Aggregations that add replicas up: `sum`, and `count` of series. `max`/`min` pick one. */
const ADDING = new Set(['sum', 'count']);

interface Finding {
  readonly metric: string;
  readonly problem: string;
}

const text = (n: SyntaxNode, expr: string) => expr.slice(n.from, n.to);

/** The labels an aggregation keeps: `by (…)` → those; `without (…)` → all but those. */
function keepsInstance(agg: SyntaxNode, expr: string): boolean {
  const modifier = agg.getChild('AggregateModifier');
  if (modifier === null) return false;
  const labels = (modifier.getChild('GroupingLabels')?.getChildren('LabelName') ?? []).map((l) =>
    text(l, expr),
  );
  const without = modifier.getChild('Without') !== null;
  return without ? !labels.includes('instance') : labels.includes('instance');
}

/** Raw (not recorded) per-process selectors not summed across instances first. */
function unaggregated(expr: string): Finding[] {
  const found: Finding[] = [];
  parser.parse(expr).iterate({
    enter(ref) {
      if (ref.name !== 'VectorSelector') return undefined;
      const id = ref.node.getChild('Identifier');
      const metric = id ? text(id, expr) : '';
      // Recorded series (level:metric:operation) were aggregated by their own rule.
      if (metric.includes(':') || PER_TARGET.has(metric)) return false;
      let agg: SyntaxNode | null = ref.node.parent;
      while (agg !== null && agg.name !== 'AggregateExpr') agg = agg.parent;
      if (agg === null) {
        found.push({ metric, problem: 'not aggregated: one value per replica' });
        return false;
      }
      const op = text(agg.getChild('AggregateOp') ?? agg, expr).toLowerCase();
      if (!ADDING.has(op) && !metric.startsWith('canary_')) {
        found.push({ metric, problem: `${op}() across replicas instead of sum()` });
      } else if (keepsInstance(agg, expr)) {
        found.push({ metric, problem: 'aggregated but keeps `instance`' });
      }
      return false;
    },
  });
  return found;
}

interface RuleDoc {
  groups: { rules: { record?: string; alert?: string; expr: string }[] }[];
}
const rules = findRuleFiles('rules').flatMap((file) =>
  (parse(readFileSync(file, 'utf8')) as RuleDoc).groups.flatMap((g) =>
    g.rules.map((r) => ({ where: `${file}: ${r.record ?? r.alert}`, expr: r.expr })),
  ),
);
const dashboards = Object.values(DASHBOARD_FILES).flatMap((d) => dashboardQueries(d));

describe('the checker itself', () => {
  it.each([
    ['sum(rate(x_total[5m])) / sum(rate(y_total[5m]))', []],
    ['histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m])))', []],
    ['sum without (instance, pod) (rate(x_total[5m]))', []],
    ['ai_search:ratio:rate5m > 0.1 and on() up == 1', []],
    ['rate(x_total[5m]) / rate(y_total[5m])', ['x_total', 'y_total']],
    ['avg(rate(x_total[5m]) / rate(y_total[5m]))', ['x_total', 'y_total']],
    ['histogram_quantile(0.95, sum by (le, instance) (rate(h_bucket[5m])))', ['h_bucket']],
    ['sum without (le) (rate(x_total[5m]))', ['x_total']],
  ])('%s → flags %j', (expr, metrics) => {
    expect(unaggregated(expr).map((f) => f.metric)).toEqual(metrics);
  });
});

describe('every expression adds the replicas up before dividing', () => {
  it('finds the expressions to check', () => {
    expect(rules.length).toBeGreaterThan(20);
    expect(dashboards.length).toBeGreaterThan(20);
  });

  it.each(rules.map((r) => [r.where, r.expr]))('rule %s', (_where, expr) => {
    expect(unaggregated(expr)).toEqual([]);
  });

  it.each(dashboards.map((q) => [q.where, q.expr]))('dashboard %s', (_where, expr) => {
    expect(unaggregated(expr)).toEqual([]);
  });
});
