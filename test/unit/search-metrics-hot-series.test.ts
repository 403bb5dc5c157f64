import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AttrsMemo,
  bucketOf,
  HotCounter,
  HotHistogram,
} from '../../src/search/metrics-hot-series.js';
import { BUCKETS } from '../../src/shared/histogram-buckets.js';

const spec = { name: 'h.test', unit: 's', description: 'test', boundaries: BUCKETS.http };
const counterSpec = { name: 'c.test', unit: '', description: 'a counter' };

const official = new PrometheusSerializer(undefined, false, undefined, false, true);

/** What OpenTelemetry's SDK and serializer write for one instrument after `record`. */
async function sdkFamily(name: string, record: (meter: Meter) => void): Promise<string> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  record(provider.getMeter('t'));
  const text = official.serialize((await exporter.collect()).resourceMetrics);
  await provider.shutdown();
  const at = text.indexOf(`# HELP ${name} `);
  return at < 0 ? '' : text.slice(at);
}

// A record is [which label set, value]. Values on and just above each bound, zero, dropped ones
// (negative, NaN), large ones and ordinary ones.
const LABEL_SETS = [{ route: '/a' }, { route: '/b', m: 'x"y' }, { route: 'c\\d\n' }];
const value = fc.oneof(
  fc.constantFrom(...spec.boundaries, ...spec.boundaries.map((x) => x * 1.000001)),
  fc.constantFrom(0, -1, Number.NaN, 1e9),
  fc.double({ min: 0, max: 20, noNaN: true }),
);
const steps = fc.array(fc.array(fc.tuple(fc.nat(LABEL_SETS.length - 1), value), { maxLength: 6 }), {
  minLength: 1,
  maxLength: 6,
});

describe('per-request series kept off the SDK', () => {
  it('write, after any records and at every scrape between them, what the SDK and its serializer write for the same records (property)', async () => {
    // One HotHistogram and one HotCounter live through all the steps and write their page after
    // each (so text kept from an earlier page is used); the SDK gets every record so far, fresh.
    // A moved series whose text was kept, or a bucketing that differs, shows as a difference.
    await fc.assert(
      fc.asyncProperty(steps, async (rounds) => {
        const histogram = new HotHistogram(spec);
        const counter = new HotCounter(counterSpec);
        // The same frozen object per label set, as the service's memo hands out.
        const attrs = LABEL_SETS.map((a) => Object.freeze({ ...a }));
        const done: [number, number][] = [];
        for (const round of rounds) {
          for (const [k, v] of round) {
            histogram.record(v, attrs[k]!);
            counter.add(v, attrs[k]!);
            done.push([k, v]);
          }
          const theirs = (kind: 'h' | 'c') =>
            sdkFamily(kind === 'h' ? 'h_test' : 'c_test_total', (meter) => {
              const h = meter.createHistogram(spec.name, {
                unit: spec.unit,
                description: spec.description,
                advice: { explicitBucketBoundaries: [...spec.boundaries] },
              });
              const c = meter.createCounter(counterSpec.name, {
                description: counterSpec.description,
              });
              for (const [j, v] of done) {
                if (kind === 'h') h.record(v, { ...LABEL_SETS[j] });
                // The SDK drops a negative counter add, as ours does; a NaN one it would add (and
                // turn the counter NaN), where ours drops it: neither is given to it here.
                else if (v >= 0) c.add(v, { ...LABEL_SETS[j] });
              }
            });
          expect(histogram.page().toString()).toBe(await theirs('h'));
          expect(counter.page().toString()).toBe(await theirs('c'));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('keeps one series per label set, whatever object or key order the labels come in, and writes a seeded one at zero', async () => {
    const counter = new HotCounter(counterSpec);
    expect(counter.page().length).toBe(0); // no series yet: the family is left out, as by the SDK
    counter.seed({ a: '1', b: '2' });
    expect(counter.page().toString()).toContain('c_test_total{a="1",b="2"} 0\n');
    counter.add(2, Object.freeze({ a: '1', b: '2' }));
    counter.add(3, { b: '2', a: '1' });
    const lines = counter
      .page()
      .toString()
      .split('\n')
      .filter((l) => l.startsWith('c_test_total'));
    expect(lines).toEqual(['c_test_total{a="1",b="2"} 5']);
  });

  it('finds the first bound at or above a value', () => {
    expect(bucketOf([1, 2, 5], 0)).toBe(0);
    expect(bucketOf([1, 2, 5], 1)).toBe(0);
    expect(bucketOf([1, 2, 5], 1.5)).toBe(1);
    expect(bucketOf([1, 2, 5], 5)).toBe(2);
    expect(bucketOf([1, 2, 5], 6)).toBe(3);
  });
});

describe('attribute memo', () => {
  it('gives one frozen object per tuple of values, made once, and tells tuples apart', () => {
    const made: string[] = [];
    const memo = new AttrsMemo((route: string, status: number, mode: string | undefined) => {
      made.push(`${route} ${status} ${mode}`);
      return mode === undefined ? { route, status } : { route, status, mode };
    });
    const a = memo.get('/api/search', 200, 'ai', undefined);
    expect(memo.get('/api/search', 200, 'ai', undefined)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(a).toEqual({ route: '/api/search', status: 200, mode: 'ai' });
    // Each place counts: another value anywhere is another series.
    const others = [
      memo.get('/api/search', 200, undefined, undefined),
      memo.get('/api/search', 200, '', undefined),
      memo.get('/api/search', 500, 'ai', undefined),
      memo.get('/healthz', 200, 'ai', undefined),
    ];
    expect(new Set([a, ...others]).size).toBe(5);
    for (let i = 0; i < 3; i++)
      for (const o of others)
        memo.get(o.route as string, o.status as number, o.mode as string | undefined, undefined);
    expect(made).toEqual([
      '/api/search 200 ai',
      '/api/search 200 undefined',
      '/api/search 200 ',
      '/api/search 500 ai',
      '/healthz 200 ai',
    ]);
  });
});
