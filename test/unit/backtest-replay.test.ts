// The pure core of `canary backtest`: a rule stepped through slots with the daemon's evaluator,
// the actions that follow, the diff of two versions, and what is printed and drawn.
import { describe, expect, it } from 'vitest';
import { diffReplays } from '../../src/canary/backtest/backtest-diff.js';
import { replayRule, type RuleReplay } from '../../src/canary/backtest/replay.js';
import { chartsIndexHtml, ruleChartSvg } from '../../src/canary/backtest/report-chart.js';
import { formatReport, reportJson } from '../../src/canary/backtest/report.js';
import type { SlotVectors } from '../../src/canary/backtest/range-query.js';
import { parseRuleText } from '../../src/canary/rules/load-rules.js';
import type { AlertingRule, Sample } from '../../src/canary/types.js';

const S = 15_000;
const slots = Array.from({ length: 12 }, (_, i) => i * S);

function rule(threshold: string, action = 'immediate_rollback'): AlertingRule {
  const r = parseRuleText(
    `
groups:
  - name: g
    rules:
      - alert: ai_service_failure
        expr: ratio > ${threshold}
        for: 30s
        labels: { action: ${action}, flag: ai-search-enabled }
`,
    'r.yml',
    { defaultIntervalMs: S },
  );
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.groups[0]!.rules[0] as AlertingRule;
}

/** The ratio at each slot; the alert result holds it when above `threshold`. */
function history(values: (number | null)[], threshold: number) {
  const shown = new Map<number, Sample[]>();
  const alert = new Map<number, Sample[]>();
  values.forEach((v, i) => {
    if (v === null) return;
    shown.set(i * S, [{ labels: { __name__: 'ratio' }, value: v }]);
    if (v > threshold) alert.set(i * S, [{ labels: { __name__: 'ratio' }, value: v }]);
  });
  return { alert: alert as SlotVectors, shown: shown as SlotVectors };
}

//            slot: 0     1    2    3    4    5    6     7    8    9    10   11
const RATIO = [0.02, 0.3, 0.3, 0.3, 0.3, 0.02, 0.02, 0.3, 0.02, 0.15, null, 0.15];

function replay(threshold: number, action?: string): RuleReplay {
  const h = history(RATIO, threshold);
  return replayRule('g', rule(String(threshold), action), slots, h.alert, h.shown);
}

describe('replayRule', () => {
  it('lists every transition with value, threshold, for and activeAt', () => {
    const r = replay(0.1);
    const seen = r.transitions.map((t) => [t.at / S, `${t.from}→${t.to}`, t.value, t.activeAt / S]);
    expect(seen).toEqual([
      [1, 'inactive→pending', 0.3, 1],
      [3, 'pending→firing', 0.3, 1], // for 30s = two slots after activeAt
      [5, 'firing→resolved', 0.02, 1], // the series' value when it resolved, not the last active one
      [7, 'resolved→pending', 0.3, 7],
      [8, 'pending→inactive', 0.02, 7],
      [9, 'inactive→pending', 0.15, 9],
      [10, 'pending→inactive', null, 9], // no data at all: no value to show
      [11, 'inactive→pending', 0.15, 11],
    ]);
    expect(r.transitions[0]).toMatchObject({ threshold: '> 0.1', forSeconds: 30, instance: '{}' });
    expect(r.points.map((p) => p.state[0]).join('')).toBe('ippffiipipip');
    expect(r.points[10]!.value).toBeNull();
  });

  it('plans one rollback per firing instance, with the dev team notified of firing and resolved', () => {
    const r = replay(0.1);
    expect(r.actions.map((a) => [a.at / S, a.action, a.event, a.activeAt / S])).toEqual([
      [3, 'immediate_rollback', 'firing', 1],
      [3, 'notify_dev_team', 'firing', 1],
      [5, 'notify_dev_team', 'resolved', 1],
    ]);
    const notify = replay(0.1, 'notify_product_team');
    expect(notify.actions.map((a) => `${a.action} ${a.event}`)).toEqual([
      'notify_product_team firing',
      'notify_product_team resolved',
    ]);
  });

  it('keeps instances of several series apart', () => {
    const two = new Map([
      [0, [{ labels: { route: '/a' }, value: 0.2 }]],
      [
        S,
        [
          { labels: { route: '/a' }, value: 0.2 },
          { labels: { route: '/b' }, value: 0.3 },
        ],
      ],
    ]);
    const r = replayRule('g', rule('0.1'), [0, S], two, undefined);
    expect(r.transitions.map((t) => `${t.instance} ${t.to}`)).toEqual([
      '{route="/a"} pending',
      '{route="/b"} pending',
    ]);
  });
});

describe('diff of two versions', () => {
  it('says the edited threshold would not have rolled back', () => {
    const a = { file: 'landed.yml', rules: [replay(0.1)] };
    const b = { file: 'edited.yml', rules: [replay(0.2)] };
    const d = diffReplays(a, b);
    expect(d.actionsOnlyA.map((x) => x.action)).toEqual([]);
    expect(d.actionsOnlyB).toEqual([]);
    // Both versions fire on the 0.3 stretch; only the 0.1 threshold sees the 0.15 slots.
    expect(d.onlyA.map((t) => `${t.at / S} ${t.to}`)).toEqual([
      '9 pending',
      '10 inactive',
      '11 pending',
    ]);
    expect(d.onlyB).toEqual([]);
    const text = formatReport({
      fromMs: 0,
      toMs: 11 * S,
      prometheus: 'http://p',
      recorded: 'as-recorded',
      evaluations: 24,
      requests: 4,
      versions: [a, b],
      diff: d,
      warnings: ['w1'],
      chartsIndex: undefined,
    });
    expect(text).toContain('the same actions at the same slots');
    expect(text).toMatch(/^warning: w1$/m);
    expect(text).toContain('3 pending/inactive transitions differ as well');
    expect(text).toMatch(/rollbacks only with landed\.yml: 0; only with edited\.yml: 0/);
  });

  it('lists an action only one version takes, in the table and the JSON', () => {
    const a = { file: 'a.yml', rules: [replay(0.1)] };
    const b = { file: 'b.yml', rules: [replay(0.5)] };
    const report = {
      fromMs: 0,
      toMs: 11 * S,
      prometheus: 'http://p',
      recorded: 'inlined' as const,
      evaluations: 24,
      requests: 4,
      versions: [a, b],
      diff: diffReplays(a, b),
      warnings: [],
      chartsIndex: '/tmp/x/index.html',
    };
    const text = formatReport(report);
    expect(text).toMatch(
      /^-\s+1970-01-01T00:00:45\.000Z\s+immediate_rollback\s+firing\s+ai_service_failure\s+0\.3\s+> 0\.1\s+30s\s+1970-01-01T00:00:15\.000Z$/m,
    );
    expect(text).toMatch(/rollbacks only with a\.yml: 1; only with b\.yml: 0/);
    const json = reportJson(report) as { diff: { actionsOnlyA: { at: string; value: number }[] } };
    expect(json.diff.actionsOnlyA[0]).toMatchObject({ at: '1970-01-01T00:00:45.000Z', value: 0.3 });
  });
});

describe('charts', () => {
  it('draws the value, the threshold, pending and firing bands and the rollback, escaped', () => {
    const svg = ruleChartSvg(replay(0.1), 'A: <rules>.yml', 0, 11 * S);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/fill="#d93a3a" fill-opacity="0.25"/g)).toHaveLength(1); // one firing run
    expect(svg.match(/fill="#f2b233" fill-opacity="0.25"/g)).toHaveLength(4); // four pending runs
    expect(svg).toContain('stroke-dasharray'); // the threshold
    expect(svg).toContain('rollback 00:00:45');
    expect(svg).toContain('A: &#60;rules&#62;.yml');
    expect(svg).not.toContain('<rules>');
    // A 30-day window at 15 s: drawn, at most two points per pixel column.
    const long = Array.from({ length: 172_800 }, (_, i) => i * S);
    const month: RuleReplay = {
      ...replay(0.1),
      points: long.map((at) => ({ at, value: (at % 7) / 10, state: 'inactive' as const })),
    };
    const big = ruleChartSvg(month, 'month', 0, long.at(-1)!);
    expect(big.length).toBeLessThan(200_000);
    const html = chartsIndexHtml('t', [{ svg: 'a.svg', version: 'A', replay: replay(0.1) }]);
    expect(html).toContain('<img src="a.svg"');
    expect(html).toContain('pending → firing');
  });
});
