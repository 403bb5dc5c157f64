import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/canary/rules/duration.js';
import {
  formatRuleError,
  loadRuleFiles,
  parseRuleText,
} from '../../src/canary/rules/load-rules.js';
import { checkPromql, selectedMetricNames, setOperands } from '../../src/canary/rules/promql.js';
import { recordedSeriesUsed } from '../../src/canary/engine/rule-source.js';
import type { AlertingRule, RuleGroup } from '../../src/canary/types.js';
import { alertRule as fixtureRule } from '../fakes/rule-fixtures.js';

const alertRule = (name: string, expr: string) => fixtureRule(name, { expr });

const root = join(import.meta.dirname, '../..');
const options = { defaultIntervalMs: 15_000 };

function alerts(groups: readonly RuleGroup[]): AlertingRule[] {
  return groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => r.kind === 'alert');
}

describe('the real rule file', () => {
  it('loads clean with the four guide alerts and their actions', async () => {
    const result = await loadRuleFiles([join(root, 'rules/ai-search.rules.yml')], options);
    if (!result.ok) throw new Error(result.errors.map(formatRuleError).join('\n'));
    const byName = new Map(alerts(result.groups).map((a) => [a.name, a]));
    expect(byName.get('ai_service_failure')).toMatchObject({
      action: 'immediate_rollback',
      flag: 'ai-search-enabled',
      notify: 'notify_dev_team',
      forMs: 5 * 60_000,
      threshold: { lhs: 'ai_search:ai_error_ratio:rate5m', op: '>', value: 0.1 },
    });
    expect(byName.get('high_error_rate')).toMatchObject({
      action: 'notify_dev_team',
      forMs: 300_000,
    });
    expect(byName.get('slow_response_time')).toMatchObject({
      action: 'notify_dev_team',
      forMs: 600_000,
    });
    expect(byName.get('cost_spike')).toMatchObject({
      action: 'notify_product_team',
      forMs: 3_600_000,
    });
    for (const a of byName.values()) {
      expect(a.labels['severity'], a.name).toMatch(/^(critical|warning|info)$/);
      expect(a.labels['team'], a.name).toBeTruthy();
      expect(a.annotations['runbook_url'], a.name).toBe(`docs/runbook.md#${a.name}`);
      expect(a.threshold, a.name).toBeDefined();
    }
  });
});

describe('who hears of a rollback is declared by its notify label', () => {
  const withLabels = (labels: string) =>
    [
      'groups:',
      '  - name: g',
      '    rules:',
      '      - alert: a',
      '        expr: x > 1',
      `        labels: { ${labels} }`,
    ].join('\n');
  it.each([
    ['', 'notify_dev_team'],
    [', notify: notify_dev_team', 'notify_dev_team'],
    [', notify: notify_product_team', 'notify_product_team'],
    [', notify: none', undefined],
  ])('labels {action: immediate_rollback%s} → %s', (notify, expected) => {
    const result = parseRuleText(
      withLabels(`action: immediate_rollback, flag: f${notify}`),
      'r.yml',
      options,
    );
    if (!result.ok) throw new Error(result.errors.map(formatRuleError).join('\n'));
    expect(alerts(result.groups)[0]!.notify).toBe(expected);
  });
  it('refuses notify on a rule that has no action, at the label', () => {
    const text = withLabels('notify: notify_dev_team');
    const result = parseRuleText(text, 'r.yml', options);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(formatRuleError(result.errors[0]!)).toBe(
      "r.yml:6:27: label 'notify' says who hears of a rollback; it goes with action: immediate_rollback (this rule has no action)",
    );
  });
});

describe('a valid file with every feature', () => {
  it('is read into frozen groups with defaults, durations, thresholds and positions', async () => {
    const file = join(root, 'test/fixtures/rules/valid/every-feature.yml');
    const result = await loadRuleFiles([file], options);
    if (!result.ok) throw new Error(result.errors.map(formatRuleError).join('\n'));
    const [recording, alerting, empty] = result.groups;
    expect(recording).toMatchObject({ name: 'recording', intervalMs: 30_000, file });
    expect(alerting?.intervalMs).toBe(15_000);
    expect(empty?.rules).toEqual([]);
    expect(recording?.rules[0]).toMatchObject({ kind: 'record', labels: { source: 'canary' } });
    const [folded, atOnce, shown] = alerts(result.groups);
    expect(folded).toMatchObject({
      forMs: 90 * 60_000,
      keepFiringForMs: 10 * 60_000,
      action: 'immediate_rollback',
      threshold: {
        lhs: 'sum(rate(errors_total[5m])) / sum(rate(requests_total[5m]))',
        op: '>',
        value: 0.1,
      },
      pos: { file, line: 12, col: 9 },
    });
    expect(atOnce).toMatchObject({ forMs: 0, threshold: { lhs: 'up', op: '==', value: 0 } });
    expect(shown).toMatchObject({ action: undefined, flag: undefined, threshold: undefined });
    // A rollback without a `notify` label tells the dev team: the documented default.
    expect(folded?.notify).toBe('notify_dev_team');
    expect(shown?.notify).toBeUndefined();
    expect(Object.isFrozen(folded)).toBe(true);
    expect(Object.isFrozen(folded?.labels)).toBe(true);
    expect(Object.isFrozen(result.groups[0])).toBe(true);
  });

  it('accepts an empty file and an empty groups list, as promtool does', () => {
    expect(parseRuleText('', 'empty.yml', options)).toEqual({
      ok: true,
      groups: [],
      files: ['empty.yml'],
    });
    expect(parseRuleText('groups: []\n', 'g.yml', options)).toMatchObject({ ok: true, groups: [] });
  });
});

describe('errors', () => {
  it('reports every error of a file, in line order, each as file:line:col: message', () => {
    const text = [
      'groups:',
      '  - name: g',
      '    rules:',
      '      - alert: a',
      '        expr: x > 1',
      '        for: soon',
      '        labels: { action: page_everyone }',
      '      - alert: b',
      '        bogus: 1',
    ].join('\n');
    const result = parseRuleText(text, 'r.yml', options);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map(formatRuleError)).toEqual([
      'r.yml:6:14: for: not a valid duration string: "soon" (use e.g. 30s, 5m, 1h30m, 7d)',
      'r.yml:7:27: unknown action "page_everyone" (known actions: immediate_rollback, notify_dev_team, notify_product_team)',
      "r.yml:8:9: field 'expr' must be set in rule",
      'r.yml:9:9: field bogus not found in rule (known fields: record, alert, expr, for, keep_firing_for, labels, annotations)',
    ]);
  });

  it('points inside a multi-line expression at the line and column of the problem', () => {
    const text = [
      'groups:',
      '  - name: g',
      '    rules:',
      '      - alert: a',
      '        expr: |',
      '          sum(rate(x[5m]))',
      '            / sum(rate(y[5m]]) > 1',
    ].join('\n');
    const result = parseRuleText(text, 'm.yml', options);
    expect(result.ok ? [] : result.errors.map(formatRuleError)).toEqual([
      'm.yml:7:29: could not parse expression: unexpected "]"',
    ]);
  });

  it('collects errors across files, including a missing file', async () => {
    const bad = join(root, 'test/fixtures/rules/invalid/unknown-action.yml');
    const result = await loadRuleFiles([join(root, 'no-such-file.yml'), bad], options);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => `${e.file}:${e.line}`)).toEqual([
      `${join(root, 'no-such-file.yml')}:1`,
      `${bad}:9`,
    ]);
    expect(result.errors[0]?.message).toMatch(/cannot read rule file: ENOENT/);
  });

  it('refuses to run with no files at all', async () => {
    expect(await loadRuleFiles([], options)).toMatchObject({ ok: false });
  });
});

describe('durations, as Prometheus writes them', () => {
  it.each([
    ['0', 0],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
    ['250ms', 250],
    ['1m30s500ms', 90_500],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
    if (ms > 0) expect(parseDuration(formatDuration(ms))).toEqual({ ok: true, ms });
  });

  it.each(['', '5', '1.5h', '5 m', '30m1h', '-5m', '5M', '1h1h'])('rejects %j', (text) => {
    expect(parseDuration(text).ok).toBe(false);
  });
});

describe('thresholds from the expression', () => {
  it.each([
    ['x > 0.1', { lhs: 'x', op: '>', value: 0.1, guards: [] }],
    ['(x) >= 2', { lhs: '(x)', op: '>=', value: 2, guards: [] }],
    ['(x < 4)', { lhs: 'x', op: '<', value: 4, guards: [] }],
    ['0.1 < x', { lhs: 'x', op: '>', value: 0.1, guards: [] }],
    ['x > -1e3', { lhs: 'x', op: '>', value: -1000, guards: [] }],
    [
      'x != 0 and on() y >= 20',
      {
        lhs: 'x',
        op: '!=',
        value: 0,
        guards: [{ op: 'and', matching: { on: true, labels: [] }, expr: 'y >= 20' }],
      },
    ],
    [
      'x > 1 unless z',
      { lhs: 'x', op: '>', value: 1, guards: [{ op: 'unless', matching: undefined, expr: 'z' }] },
    ],
    [
      '(x > 1 and on(a, b) y) unless ignoring(c) z',
      {
        lhs: 'x',
        op: '>',
        value: 1,
        guards: [
          { op: 'and', matching: { on: true, labels: ['a', 'b'] }, expr: 'y' },
          { op: 'unless', matching: { on: false, labels: ['c'] }, expr: 'z' },
        ],
      },
    ],
    // Quoted label names: the threshold is shown, but the expression is queried whole.
    ['x > 1 and on("a") y', { lhs: 'x', op: '>', value: 1 }],
    ['x > Inf', { lhs: 'x', op: '>', value: Infinity, guards: [] }],
    ['x > bool 1', undefined],
    ['x > y', undefined],
    ['x or y > 1', undefined],
    ['x > 0.1 and on() g or y > 0.1 and on() h', { lhs: 'x', op: '>', value: 0.1 }],
    ['x > 0.1 or y > 0.2', undefined],
    ['x > 0.1 or y < 0.1', undefined],
    ['rate(x[5m])', undefined],
  ])('%s', (expr, threshold) => {
    expect(checkPromql(expr)).toEqual({ ok: true, threshold });
  });

  it('splits at top-level set operators only, with their on()/ignoring(), past strings and comments', () => {
    const terms = setOperands('a or on(x) b # or c\n and `or` unless sum by (or) (x{l="and"})');
    expect(terms.map((t) => t.text.trim())).toEqual([
      'a',
      'b # or c',
      '`or`',
      'sum by (or) (x{l="and"})',
    ]);
    expect(terms[1]!.from).toBe(10);
  });

  it('accepts a 500-term `or` chain and places an error deep inside it', () => {
    const chain = (bad: number) =>
      Array.from({ length: 500 }, (_, i) => (i === bad ? 'rat(x)' : `up{i="${i}"}`)).join(' or ');
    expect(checkPromql(chain(-1))).toEqual({ ok: true, threshold: undefined });
    const broken = chain(400);
    expect(checkPromql(broken)).toMatchObject({
      ok: false,
      offset: broken.indexOf('rat('),
      message: 'could not parse expression: unknown function "rat"',
    });
  });

  it('lists the recorded series the alerts select (parser, not text: a label value is no series)', () => {
    const g: RuleGroup = {
      name: 'g',
      file: 'f',
      intervalMs: 1000,
      rules: [
        alertRule('a', 'a:b:c > 0.1 and on() rate(x:y[5m]) > 0 unless up{job="p:q"}'),
        alertRule('b', 'sum(level:metric:op) > 1'),
      ],
    };
    expect(recordedSeriesUsed([g])).toEqual(['a:b:c', 'level:metric:op', 'x:y']);
  });

  it('lists the series an expression reads', () => {
    expect(
      selectedMetricNames('a:b:c > 0.1 and on() sum(rate(d_total{x="y"}[5m])) >= 1').sort(),
    ).toEqual(['a:b:c', 'd_total']);
  });
});
