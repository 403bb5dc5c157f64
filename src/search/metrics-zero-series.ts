// Two helpers of the metrics module. OpenTelemetry has no way to create a histogram series with
// a count of zero (a counter has add(0)), yet an error ratio needs its error series to exist before
// the first error. So each collection adds the missing pre-declared series as empty cumulative
// histograms before serializing. And labels that come from outside are capped in number.
import type { Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type Histogram,
  type HistogramMetricData,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { ValueType } from '@opentelemetry/api';

export interface HistogramSpec {
  /** The instrument name as created (dots, not underscores). */
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly boundaries: readonly number[];
}

export interface HistogramSeed {
  readonly spec: HistogramSpec;
  readonly attributes: Attributes;
}

/** One key per label set, whatever the order its keys were set in. */
export function attributesKey(attributes: Attributes): string {
  return JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** A cumulative histogram metric with no data points yet, described by `spec`. */
export function emptyHistogram(spec: HistogramSpec): HistogramMetricData {
  const { name, description, unit } = spec;
  return {
    descriptor: { name, description, unit, valueType: ValueType.DOUBLE },
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.HISTOGRAM,
    dataPoints: [],
  };
}

interface Seeded {
  readonly spec: HistogramSpec;
  readonly key: string;
  readonly point: DataPoint<Histogram>;
}

/**
 * Adds a zero-count data point for every seed that a collection does not already have. Built
 * once: each seed's key and empty data point are made here, not at every scrape, and the keys of
 * the collected series are remembered by attribute object (the same object at every collection).
 */
export class ZeroHistograms {
  private readonly seeds: readonly Seeded[];
  private readonly keys = new WeakMap<Attributes, string>();

  constructor(seeds: readonly HistogramSeed[]) {
    const now: [number, number] = [Math.floor(Date.now() / 1000), 0];
    this.seeds = seeds.map(({ spec, attributes }) => {
      const boundaries = [...spec.boundaries];
      const counts = [0, ...boundaries.map(() => 0)];
      const value = { buckets: { boundaries, counts }, sum: 0, count: 0 };
      const point = { attributes, startTime: now, endTime: now, value };
      return { spec, key: attributesKey(attributes), point };
    });
  }

  addTo(resourceMetrics: ResourceMetrics): void {
    const scope = resourceMetrics.scopeMetrics[0];
    if (scope === undefined) return;
    const byName = new Map<string, { metric: MetricData; keys: Set<string> }>();
    for (const seed of this.seeds) {
      const name = seed.spec.name;
      let entry = byName.get(name);
      if (entry === undefined) {
        let metric = scope.metrics.find((m) => m.descriptor.name === name);
        if (metric === undefined) scope.metrics.push((metric = emptyHistogram(seed.spec)));
        entry = { metric, keys: new Set(metric.dataPoints.map((p) => this.keyOf(p.attributes))) };
        byName.set(name, entry);
      }
      const { metric, keys } = entry;
      if (metric.dataPointType !== DataPointType.HISTOGRAM || keys.has(seed.key)) continue;
      keys.add(seed.key);
      metric.dataPoints.push(seed.point);
    }
  }

  private keyOf(attributes: Attributes): string {
    let key = this.keys.get(attributes);
    if (key === undefined) this.keys.set(attributes, (key = attributesKey(attributes)));
    return key;
  }
}

/** Passes the first `max` distinct values through; later new values become `_OTHER`. */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  bound(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return '_OTHER';
    this.seen.add(value);
    return value;
  }
}
