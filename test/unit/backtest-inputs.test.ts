// The edges of `canary backtest`: time arguments, range-query chunking at Prometheus's 11,000
// points, the matrix answer read back per slot, and recorded series inlined into alert expressions.
import { describe, expect, it } from 'vitest';
import { slotsBetween } from '../../src/canary/engine/aligned-timer.js';
import { inlineRecorded, recordingRules } from '../../src/canary/rules/inline-recorded.js';
import { chunkRange, MAX_POINTS, parseMatrix } from '../../src/canary/backtest/range-query.js';
import { parseTimeArg } from '../../src/canary/backtest/time-arg.js';
import { parseRuleText } from '../../src/canary/rules/load-rules.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');

describe('time arguments', () => {
  it.each([
    ['now', NOW],
    ['-2h', NOW - 2 * 3_600_000],
    ['now-90m', NOW - 90 * 60_000],
    ['-1h30m', NOW - 90 * 60_000],
    ['2026-11-24T14:00:00Z', Date.parse('2026-11-24T14:00:00Z')],
    ['2026-11-24T14:00:00.250Z', Date.parse('2026-11-24T14:00:00.250Z')],
    ['2026-11-24T16:00:00+02:00', Date.parse('2026-11-24T14:00:00Z')],
  ])('%s', (raw, value) => {
    expect(parseTimeArg(raw, NOW)).toEqual({ ok: true, value });
  });

  it.each([
    ['yesterday', /RFC 3339/],
    ['-2 hours', /not a valid duration/],
    ['-1.5h', /not a valid duration/],
    ['2026-11-24', /RFC 3339/],
    ['2026-02-31T00:00:00Z', /no such date/],
    ['2026-11-24T25:00:00Z', /no such date/],
    ['1700000000', /RFC 3339/],
  ])('refuses %s', (raw, why) => {
    const r = parseTimeArg(raw, NOW);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.expected).toMatch(why);
  });
});

describe('slots and chunks', () => {
  it('lists the slots of a group between two times, both ends included', () => {
    expect(slotsBetween(1000, 61_000, 15_000, 7_500)).toEqual([7_500, 22_500, 37_500, 52_500]);
    expect(slotsBetween(7_500, 52_500, 15_000, 7_500)).toEqual([7_500, 22_500, 37_500, 52_500]);
  });

  it('splits a range into requests of at most 11,000 points that cover every slot once', () => {
    const step = 15_000;
    const range = { startMs: 500, endMs: 500 + 30_000 * step, stepMs: step }; // 30,001 slots
    const parts = chunkRange(range);
    expect(parts).toHaveLength(3);
    const points = parts.map((p) => (p.endMs - p.startMs) / step + 1);
    expect(Math.max(...points)).toBeLessThanOrEqual(MAX_POINTS);
    expect(points.reduce((a, b) => a + b)).toBe(30_001);
    parts.slice(1).forEach((p, i) => expect(p.startMs).toBe(parts[i]!.endMs + step));
    expect(parts.at(-1)!.endMs).toBe(range.endMs);
    expect(chunkRange({ startMs: 0, endMs: 0, stepMs: step })).toEqual([
      { startMs: 0, endMs: 0, stepMs: step },
    ]);
  });

  it('reads a matrix back as one instant vector per slot, NaN and Inf included', () => {
    const r = parseMatrix(
      {
        resultType: 'matrix',
        result: [
          {
            metric: { route: 'a' },
            values: [
              [1.5, '0.2'],
              [16.5, 'NaN'],
            ],
          },
          { metric: { route: 'b' }, values: [[16.5, '+Inf']] },
        ],
      },
      'u',
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.slots.get(1500)).toEqual([{ labels: { route: 'a' }, value: 0.2 }]);
    expect(r.slots.get(16_500)).toEqual([
      { labels: { route: 'a' }, value: NaN },
      { labels: { route: 'b' }, value: Infinity },
    ]);
  });

  it('refuses what is not a matrix, with the reason', () => {
    expect(parseMatrix({ resultType: 'vector', result: [] }, 'u')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/not a matrix/),
    });
    expect(
      parseMatrix({ resultType: 'matrix', result: [{ metric: {}, values: [[1, 2]] }] }, 'u'),
    ).toMatchObject({ ok: false, error: expect.stringMatching(/\[time, "value"\]/) });
  });
});

describe('inlining recorded series', () => {
  const groups = parseRuleText(
    `
groups:
  - name: rec
    interval: 30s
    rules:
      - record: job:ratio:rate5m
        expr: sum(rate(errors[5m])) / sum(rate(calls[5m]))
      - record: job:ratio:max
        expr: max(job:ratio:rate5m)
        labels: { source: canary }
`,
    'r.yml',
    { defaultIntervalMs: 15_000 },
  );
  if (!groups.ok) throw new Error('fixture');
  const rec = recordingRules(groups.groups);

  it.each([
    ['job:ratio:rate5m > 0.1', '(sum(rate(errors[5m])) / sum(rate(calls[5m]))) > 0.1'],
    [
      'job:ratio:max > 0.1 and on() sum(rate(calls[5m])) > 1',
      'label_replace((max((sum(rate(errors[5m])) / sum(rate(calls[5m]))))), "source", "canary", "", "") > 0.1 and on() sum(rate(calls[5m])) > 1',
    ],
    [
      'max_over_time(job:ratio:rate5m[10m]) > 0.1',
      'max_over_time((sum(rate(errors[5m])) / sum(rate(calls[5m])))[10m:30s]) > 0.1',
    ],
    ['calls > 1', 'calls > 1'],
  ])('%s', (expr, inlined) => {
    expect(inlineRecorded(expr, rec)).toEqual({ ok: true, expr: inlined });
  });

  it.each([
    ['job:ratio:rate5m{job="a"} > 0.1', /label matchers/],
    ['job:ratio:rate5m offset 1h > 0.1', /offset or @/],
    ['a / job:ratio:rate5m offset 5m', /offset or @/],
  ])('refuses %s', (expr, why) => {
    const r = inlineRecorded(expr, rec);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(why);
  });
});
