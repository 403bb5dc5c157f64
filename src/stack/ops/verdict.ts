// The verdict of an operational check: each check compares one observation with its target and
// is pass, fail or no-data (kept apart: "nothing to measure" is not "target met"). Pure.

export type Outcome = 'pass' | 'fail' | 'no-data';

export interface CheckResult {
  readonly name: string;
  readonly outcome: Outcome;
  /** What was seen, for people: "p95 143 ms", "HTTP 503", "no series". */
  readonly observed: string;
  /** What was expected: "< 200 ms". */
  readonly target: string;
}

export type Comparison = '<' | '>';

export type Unit = 'seconds' | 'ratio' | 'usd' | 'score' | 'count';

export function formatValue(value: number, unit: Unit): string {
  if (Number.isNaN(value)) return 'NaN';
  switch (unit) {
    case 'seconds':
      return value < 1 ? `${Math.round(value * 1000)} ms` : `${+value.toFixed(2)} s`;
    case 'ratio':
      return `${+(value * 100).toFixed(value < 0.01 ? 3 : 2)}%`;
    case 'usd':
      return `$${value.toFixed(4)}`;
    case 'score':
      return value.toFixed(2);
    case 'count':
      return String(value);
  }
}

/** Compares a value with its target; NaN (0/0: no traffic) is no data, never a pass. */
export function judge(
  name: string,
  value: number | undefined,
  op: Comparison,
  threshold: number,
  unit: Unit,
): CheckResult {
  const target = `${op} ${formatValue(threshold, unit)}`;
  if (value === undefined || Number.isNaN(value)) {
    return {
      name,
      outcome: 'no-data',
      observed: value === undefined ? 'no series' : 'NaN (no traffic)',
      target,
    };
  }
  const ok = op === '<' ? value < threshold : value > threshold;
  return { name, outcome: ok ? 'pass' : 'fail', observed: formatValue(value, unit), target };
}

export function pass(name: string, observed: string, target: string): CheckResult {
  return { name, outcome: 'pass', observed, target };
}

export function fail(name: string, observed: string, target: string): CheckResult {
  return { name, outcome: 'fail', observed, target };
}

const MARK: Record<Outcome, string> = { pass: 'PASS', fail: 'FAIL', 'no-data': 'NO DATA' };

export function formatReport(title: string, results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length), 10);
  const lines = results.map(
    (r) =>
      `  ${MARK[r.outcome].padEnd(7)}  ${r.name.padEnd(width)}  ${r.observed} (target ${r.target})`,
  );
  const failed = results.filter((r) => r.outcome === 'fail').length;
  const noData = results.filter((r) => r.outcome === 'no-data').length;
  const summary =
    failed > 0
      ? `${failed} of ${results.length} checks missed their target`
      : noData > 0
        ? `no target missed, but ${noData} check(s) had no data to judge`
        : `all ${results.length} checks passed`;
  return [`${title}:`, ...lines, summary].join('\n');
}

/** 0 when every check passed (no-data counts as passed only when allowed), else 1. */
export function exitCodeOf(results: readonly CheckResult[], allowNoData = false): 0 | 1 {
  const bad = results.some(
    (r) => r.outcome === 'fail' || (r.outcome === 'no-data' && !allowNoData),
  );
  return bad ? 1 : 0;
}
