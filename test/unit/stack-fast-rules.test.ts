import fc from 'fast-check';
import { parser } from '@prometheus-io/lezer-promql';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/stack/durations.js';
import { scaleExpr, scaleRuleFile } from '../../src/stack/fast-rules.js';

const BY_60 = { factor: 60 };

describe('durations', () => {
  it.each([
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    ['500ms', 500],
    ['0', 0],
    ['30', 30_000],
  ])('parses %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['5 m', 'm5', '', '1.5m', 'abc'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats back to what it parses', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * 86_400_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});

describe('scaleExpr', () => {
  it.each([
    ['rate(x[5m])', 'rate(x[5s])'],
    [
      'sum(rate(x[1h])) / sum(rate(x[1h] offset 7d))',
      'sum(rate(x[1m])) / sum(rate(x[1m] offset 2h48m))',
    ],
    ['max_over_time(rate(x[5m])[1h:5m])', 'max_over_time(rate(x[5s])[1m:5s])'],
    ['increase(cost[1d]) > 1.2 * 3', 'increase(cost[24m]) > 1.2 * 3'],
    ['rate(x[30s])', 'rate(x[500ms])'],
    ['x > 0.1', 'x > 0.1'],
  ])('%s → %s', (input, output) => expect(scaleExpr(input, BY_60)).toBe(output));

  it('leaves durations inside label values alone', () => {
    expect(scaleExpr('rate(x{window="5m",le="1h"}[5m])', BY_60)).toBe(
      'rate(x{window="5m",le="1h"}[5s])',
    );
  });

  it('applies the floor to range selectors only, not to offsets or steps', () => {
    const opts = { factor: 60, minRangeMs: 4000 };
    expect(scaleExpr('rate(x[1m] offset 1m)', opts)).toBe('rate(x[4s] offset 1s)');
    expect(scaleExpr('max_over_time(x[1h:1m])', opts)).toBe('max_over_time(x[1m:1s])');
  });

  it('refuses an expression that does not parse, naming it', () => {
    expect(() => scaleExpr('rate(x[5m]', BY_60)).toThrow(/cannot parse PromQL/);
  });

  it('never lengthens a window and keeps the ratio (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), (minutes) => {
        const out = scaleExpr(`rate(x[${minutes}m])`, BY_60);
        const ms = parseDuration(out.slice(out.indexOf('[') + 1, out.indexOf(']')));
        expect(ms).toBe(minutes * 1000);
      }),
    );
  });
});

const RULES = `# comment kept
groups:
  - name: ai-search
    interval: 1m
    rules:
      - record: ai_search:ai_error_ratio:rate5m
        expr: |
          sum(rate(gen_ai_client_operation_duration_count{error_type!=""}[5m]))
          / sum(rate(gen_ai_client_operation_duration_count[5m]))
      - alert: ai_service_failure
        expr: ai_search:ai_error_ratio:rate5m > 0.10
        for: 5m
        keep_firing_for: 10m
        labels:
          severity: critical
          action: immediate_rollback
        annotations:
          summary: AI error ratio above 10% for 5m
`;

describe('scaleRuleFile', () => {
  it('scales interval, for, keep_firing_for and every expr; keeps comments and annotations', () => {
    const out = scaleRuleFile(RULES, 'ai.yml', BY_60);
    expect(out).toContain('# comment kept');
    const doc = parse(out) as {
      groups: { interval: string; rules: Record<string, unknown>[] }[];
    };
    const [group] = doc.groups;
    expect(group?.interval).toBe('1s');
    expect(String(group?.rules[0]?.expr)).toContain('[5s]');
    expect(group?.rules[1]).toMatchObject({
      for: '5s',
      keep_firing_for: '10s',
      annotations: { summary: 'AI error ratio above 10% for 5m' },
    });
  });

  it.each([
    ['groups: [', /ai\.yml/],
    ['rules: []', /top-level "groups:"/],
    [
      'groups:\n  - name: g\n    rules:\n      - alert: a\n        expr: x\n        for: soon\n',
      /rules\[0\]\.for: "soon" is not a duration/,
    ],
    [
      'groups:\n  - name: g\n    rules:\n      - alert: a\n        expr: rate(x[5m]\n',
      /rules\[0\]\.expr: cannot parse/,
    ],
  ])('rejects bad input with the place: %j', (text, message) => {
    expect(() => scaleRuleFile(text, 'ai.yml', BY_60)).toThrow(message);
  });

  it('refuses a non-positive factor', () => {
    expect(() => scaleRuleFile(RULES, 'ai.yml', { factor: 0 })).toThrow(/positive/);
  });
});

describe('scaleExpr keeps the expression (property)', () => {
  const shape = (expr: string): string[] => {
    const names: string[] = [];
    parser.parse(expr).iterate({ enter: (n) => void names.push(n.name) });
    return names;
  };
  const unit = fc.constantFrom('s', 'm', 'h', 'd', 'w');
  const dur = fc.tuple(fc.integer({ min: 1, max: 90 }), unit).map(([n, u]) => `${n}${u}`);
  const expr = fc
    .tuple(dur, dur, dur, fc.constantFrom('rate', 'increase', 'avg_over_time'))
    .map(
      ([a, b, c, fn]) =>
        `sum by (le) (${fn}(x{job="a",le="5m"}[${a}] offset ${b})) / max_over_time(y[${c}:${b}]) > 0.1`,
    );

  it('changes only durations: same syntax tree, no parse error', () => {
    fc.assert(
      fc.property(expr, (e) => {
        const out = scaleExpr(e, { factor: 60, minRangeMs: 4000 });
        expect(shape(out)).toEqual(shape(e));
        expect(shape(out)).not.toContain('⚠');
        expect(out).toContain('le="5m"');
      }),
    );
  });
});
