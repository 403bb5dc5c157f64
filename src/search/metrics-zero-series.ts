// Two helpers of the metrics module. OpenTelemetry has no way to create a histogram series with
// a count of zero (a counter has add(0)), yet an error ratio needs its error series to exist before
// the first error. So each collection adds the missing pre-declared series as empty cumulative
// histograms before serializing. And labels that come from outside are capped in number.
import type { Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
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

function attributesKey(attributes: Attributes): string {
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

/** Adds a zero-count data point for every seed that the collection does not already have. */
export function seedZeroHistograms(
  resourceMetrics: ResourceMetrics,
  seeds: readonly HistogramSeed[],
): void {
  const scope = resourceMetrics.scopeMetrics[0];
  if (scope === undefined) return;
  const byName = new Map<string, { metric: MetricData; keys: Set<string> }>(
    scope.metrics.map((m) => [
      m.descriptor.name,
      { metric: m, keys: new Set(m.dataPoints.map((p) => attributesKey(p.attributes))) },
    ]),
  );
  const now: [number, number] = [Math.floor(Date.now() / 1000), 0];
  for (const seed of seeds) {
    let entry = byName.get(seed.spec.name);
    if (entry === undefined) {
      entry = { metric: emptyHistogram(seed.spec), keys: new Set() };
      byName.set(seed.spec.name, entry);
      scope.metrics.push(entry.metric);
    }
    const { metric, keys } = entry;
    const key = attributesKey(seed.attributes);
    if (metric.dataPointType !== DataPointType.HISTOGRAM || keys.has(key)) continue;
    keys.add(key);
    const counts = [0, ...seed.spec.boundaries.map(() => 0)];
    metric.dataPoints.push({
      attributes: seed.attributes,
      startTime: now,
      endTime: now,
      value: { buckets: { boundaries: [...seed.spec.boundaries], counts }, sum: 0, count: 0 },
    });
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
