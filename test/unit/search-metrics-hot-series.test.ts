import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { DataPointType, MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  AttrsMemo,
  bucketOf,
  PendingSums,
  SeriesHistograms,
} from '../../src/search/metrics-hot-series.js';
import { BUCKETS } from '../../src/shared/histogram-buckets.js';

const spec = { name: 'h.test', unit: 's', description: 'test', boundaries: BUCKETS.http };

function sdk() {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const meter = provider.getMeter('t');
  return { exporter, provider, meter };
}

function histogramPoints(rm: ResourceMetrics, name: string) {
  const m = rm.scopeMetrics.flatMap((s) => s.metrics).find((x) => x.descriptor.name === name);
  if (m?.dataPointType !== DataPointType.HISTOGRAM) throw new Error(`no histogram ${name}`);
  return m.dataPoints.map((p) => ({
    attributes: p.attributes,
    counts: p.value.buckets.counts,
    boundaries: p.value.buckets.boundaries,
    sum: p.value.sum,
    count: p.value.count,
  }));
}

describe('per-search series kept off the SDK record path', () => {
  it('buckets values exactly as the OpenTelemetry SDK does (v ≤ le), boundaries, zero, NaN and negatives included', async () => {
    const theirs = sdk();
    const ref = theirs.meter.createHistogram('h.ref', {
      advice: { explicitBucketBoundaries: [...spec.boundaries] },
    });
    const ours = new SeriesHistograms(spec);
    const a = Object.freeze({ route: '/a' });
    const b = Object.freeze({ route: '/b' });
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const values = [
      ...spec.boundaries, // exactly on each bound
      ...spec.boundaries.map((x) => x * 1.000001),
      0,
      -1,
      Number.NaN,
      1e9,
      ...Array.from({ length: 2000 }, () => rnd() * rnd() * 20),
    ];
    values.forEach((v, k) => {
      const attrs = k % 3 ? a : b;
      ref.record(v, { ...attrs });
      ours.record(v, attrs);
    });
    const rm = (await theirs.exporter.collect()).resourceMetrics;
    ours.appendTo(rm);
    const byRoute = (ps: ReturnType<typeof histogramPoints>) =>
      Object.fromEntries(ps.map((p) => [p.attributes.route as string, p]));
    const expected = byRoute(histogramPoints(rm, 'h.ref'));
    const got = byRoute(histogramPoints(rm, 'h.test'));
    for (const route of ['/a', '/b']) {
      expect(got[route]!.counts).toEqual(expected[route]!.counts);
      expect(got[route]!.boundaries).toEqual(expected[route]!.boundaries);
      expect(got[route]!.count).toBe(expected[route]!.count);
      expect(got[route]!.sum).toBeCloseTo(expected[route]!.sum!, 9);
    }
    await theirs.provider.shutdown();
  });

  it('finds the first bound at or above a value', () => {
    expect(bucketOf([1, 2, 5], 0)).toBe(0);
    expect(bucketOf([1, 2, 5], 1)).toBe(0);
    expect(bucketOf([1, 2, 5], 1.5)).toBe(1);
    expect(bucketOf([1, 2, 5], 5)).toBe(2);
    expect(bucketOf([1, 2, 5], 6)).toBe(3);
  });

  it('hands a counter each series sum once per flush, and nothing for an empty flush', async () => {
    const theirs = sdk();
    const counter = theirs.meter.createCounter('c');
    const pending = new PendingSums(counter);
    const x = Object.freeze({ k: 'x' });
    for (let k = 0; k < 5; k++) pending.add(1, x);
    pending.flush();
    pending.flush();
    pending.add(2, x);
    pending.flush();
    const rm = (await theirs.exporter.collect()).resourceMetrics;
    const m = rm.scopeMetrics[0]!.metrics.find((d) => d.descriptor.name === 'c')!;
    expect(m.dataPoints.map((p) => p.value)).toEqual([7]);
    await theirs.provider.shutdown();
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
