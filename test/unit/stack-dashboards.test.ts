import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_FILES, dashboardQueries } from '../../src/stack/dashboards/index.js';

const read = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../dashboards/${name}`, import.meta.url), 'utf8'));

// names.md: the recording rules the dashboards may use.
const RECORDED = new Set([
  'ai_search:api_error_ratio:rate5m',
  'ai_search:ai_error_ratio:rate5m',
  'ai_search:db_error_ratio:rate5m',
  'ai_search:api_latency_seconds:p95_5m',
  'ai_search:ai_search_latency_seconds:p95_5m',
  'ai_search:db_latency_seconds:p95_5m',
  'ai_search:searches:rate5m',
  'ai_search:search_success_ratio:rate5m',
  'ai_search:cost_usd:rate1h',
  'ai_search:cost_per_search_usd:1h',
  'ai_search:cost_usd:increase1d',
  'ai_search:cost_baseline_usd:1h',
  'ai_search:satisfaction_score:avg1h',
]);

type Panel = {
  title: string;
  type: string;
  fieldConfig?: { defaults: { thresholds: { steps: { value: number | null }[] } } };
};

const thresholdsOf = (json: unknown, title: RegExp): number[] => {
  const panel = (json as { panels: Panel[] }).panels.find((p) => title.test(p.title));
  if (!panel?.fieldConfig) throw new Error(`no panel ${title}`);
  return panel.fieldConfig.defaults.thresholds.steps.flatMap((s) =>
    s.value === null ? [] : [s.value],
  );
};

describe('dashboards', () => {
  it.each(Object.keys(DASHBOARD_FILES))(
    '%s is up to date with src/stack/dashboards (npm run dashboards:build)',
    (name) => {
      expect(read(name)).toEqual(DASHBOARD_FILES[name]);
    },
  );

  it('have the fixed uids the links and provisioning rely on', () => {
    expect((read('ai-search-rollout.json') as { uid: string }).uid).toBe('ai-search-rollout');
    expect((read('canary-daemon.json') as { uid: string }).uid).toBe('canary-daemon');
  });

  const all = Object.keys(DASHBOARD_FILES).flatMap((n) => dashboardQueries(read(n)));

  it.each(all.map((q) => [q.where, q.expr]))('%s parses as PromQL', (_where, expr) => {
    let error: string | undefined;
    parser.parse(expr).iterate({
      enter: (n) => {
        if (n.type.isError) error ??= `error at ${n.from}: ${expr.slice(n.from, n.from + 20)}`;
      },
    });
    expect(error).toBeUndefined();
  });

  it('use only recording rules that rules/ai-search.rules.yml defines (names.md)', () => {
    const used = all.flatMap((q) => q.expr.match(/ai_search:[a-z0-9_]+:[a-z0-9_]+/g) ?? []);
    expect(used.length).toBeGreaterThan(5);
    expect(used.filter((n) => !RECORDED.has(n))).toEqual([]);
  });

  it.each([
    [/^AI service error ratio/, [0.05, 0.1]],
    [/^Search latency per mode/, [2, 30]],
    [/^API latency/, [0.2, 2]],
    [/^Cost per AI search/, [0.1]],
    [/^User satisfaction/, [4]],
    [/^Search success/, [0.9]],
    [/^DB error ratio/, [0.001]],
  ])('rollout panel %s draws the targets %j', (title, lines) => {
    expect(thresholdsOf(read('ai-search-rollout.json'), title)).toEqual(lines);
  });

  it('annotate rollbacks and notifications from the daemon and firing alerts', () => {
    const names = all.filter((q) => q.annotation).map((q) => q.where);
    expect(names).toEqual(
      expect.arrayContaining([
        'AI Search rollout health / annotation Rollbacks',
        'AI Search rollout health / annotation Notifications',
        'AI Search rollout health / annotation Firing alerts',
      ]),
    );
  });
});
