// validate:response-times and monitor:errors: the key metrics from Prometheus against targets.
import { openPrometheus, type InstantResult } from './prometheus-client.js';
import type { MetricTarget } from './targets.js';
import { fail, judge, pass, unreachable, type CheckResult } from './verdict.js';

function queryFailed(name: string, result: Extract<InstantResult, { ok: false }>, target: string) {
  return result.kind === 'unreachable'
    ? unreachable(name, result.error, target)
    : fail(name, `query failed: ${result.error}`, target);
}

/** The worst sample for the target's direction (the highest latency, the lowest success). */
export function judgeTarget(target: MetricTarget, result: InstantResult): CheckResult {
  if (!result.ok) return queryFailed(target.name, result, `${target.op} ${target.threshold}`);
  const values = result.samples.map((s) => s.value).filter((v) => !Number.isNaN(v));
  if (values.length === 0) {
    return judge(
      target.name,
      result.samples.length > 0 ? NaN : undefined,
      target.op,
      target.threshold,
      target.unit,
    );
  }
  const worst = target.op === '<' ? Math.max(...values) : Math.min(...values);
  return judge(target.name, worst, target.op, target.threshold, target.unit);
}

export async function checkTargets(
  prometheusUrl: string,
  targets: readonly MetricTarget[],
  headers: Readonly<Record<string, string>> = {},
): Promise<CheckResult[]> {
  const prometheus = openPrometheus(prometheusUrl, { concurrency: targets.length, headers });
  try {
    return await Promise.all(
      targets.map(async (t) => judgeTarget(t, await prometheus.query(t.expr))),
    );
  } finally {
    prometheus.close();
  }
}

export function judgeFiringAlerts(result: InstantResult): CheckResult {
  const name = 'firing alerts';
  if (!result.ok) return queryFailed(name, result, 'none');
  const names = [...new Set(result.samples.map((s) => s.labels.alertname ?? '?'))].sort();
  return names.length === 0 ? pass(name, 'none', 'none') : fail(name, names.join(', '), 'none');
}

export async function checkFiringAlerts(
  prometheusUrl: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<CheckResult> {
  const prometheus = openPrometheus(prometheusUrl, { concurrency: 1, headers });
  try {
    return judgeFiringAlerts(await prometheus.query('ALERTS{alertstate="firing"}'));
  } finally {
    prometheus.close();
  }
}
