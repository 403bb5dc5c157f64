// The deployment guide's key-metric targets, as PromQL over the recording rules (names.md).
import type { Comparison, Unit } from './verdict.js';

export interface MetricTarget {
  readonly name: string;
  readonly expr: string;
  readonly op: Comparison;
  readonly threshold: number;
  readonly unit: Unit;
}

/** `validate:response-times`: p95 latencies against the guide's targets. */
export const RESPONSE_TIME_TARGETS: readonly MetricTarget[] = [
  {
    name: 'API response time p95 (non-AI)',
    expr: 'ai_search:api_latency_seconds:p95_5m',
    op: '<',
    threshold: 0.2,
    unit: 'seconds',
  },
  {
    name: 'AI search response time p95',
    expr: 'ai_search:ai_search_latency_seconds:p95_5m',
    op: '<',
    threshold: 30,
    unit: 'seconds',
  },
  {
    name: 'search p95 (slow_response_time)',
    expr: 'ai_search:search_latency_seconds:p95_5m',
    op: '<',
    threshold: 2,
    unit: 'seconds',
  },
  {
    name: 'database query time p95',
    expr: 'ai_search:db_latency_seconds:p95_5m',
    op: '<',
    threshold: 0.1,
    unit: 'seconds',
  },
];

/** `monitor:errors`: error ratios and search success against the guide's targets. */
export const ERROR_TARGETS: readonly MetricTarget[] = [
  {
    name: 'API error rate',
    expr: 'ai_search:api_error_ratio:rate5m',
    op: '<',
    threshold: 0.01,
    unit: 'ratio',
  },
  {
    name: 'AI service error rate',
    expr: 'ai_search:ai_error_ratio:rate5m',
    op: '<',
    threshold: 0.05,
    unit: 'ratio',
  },
  {
    name: 'database error rate',
    expr: 'ai_search:db_error_ratio:rate5m',
    op: '<',
    threshold: 0.001,
    unit: 'ratio',
  },
  {
    name: 'search success rate',
    expr: 'ai_search:search_success_ratio:rate5m',
    op: '>',
    threshold: 0.9,
    unit: 'ratio',
  },
];
