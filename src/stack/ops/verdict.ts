// The verdict of an operational check: each check compares one observation with its target and
// is pass, fail, no-data or unreachable, kept apart: "nothing to measure" is not "target met", and
// "could not ask" is not "target missed" (a script retries the one, pages on the other). Pure.

export type Outcome = 'pass' | 'fail' | 'no-data' | 'unreachable';

/**
 * The exit codes of every operational command (docs/operations.md): 0 every target met, 1 a target
 * missed (or, without --allow-no-data, nothing to judge), 3 the service or Prometheus could not be
 * reached, so nothing was judged. 2 is bad usage (unknown option, bad .env value), set elsewhere.
 */
export const EXIT = Object.freeze({ met: 0, missed: 1, usage: 2, unreachable: 3 });
export type CheckExitCode = (typeof EXIT)[keyof typeof EXIT];

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

/** No answer to judge: `cause` says why in plain words ("… refused the connection"). */
export function unreachable(name: string, cause: string, target: string): CheckResult {
  return { name, outcome: 'unreachable', observed: cause, target };
}

const MARK: Record<Outcome, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  'no-data': 'NO DATA',
  unreachable: 'NO REPLY',
};

export function formatReport(title: string, results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length), 10);
  const lines = results.map(
    (r) =>
      `  ${MARK[r.outcome].padEnd(7)}  ${r.name.padEnd(width)}  ${r.observed} (target ${r.target})`,
  );
  return [`${title}:`, ...lines, summarize(results)].join('\n');
}

export function summarize(results: readonly CheckResult[]): string {
  const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  const [failed, noData, unreached] = [count('fail'), count('no-data'), count('unreachable')];
  const notReached = unreached > 0 ? `; ${unreached} could not be checked (no reply)` : '';
  if (failed > 0) return `${failed} of ${results.length} checks missed their target${notReached}`;
  if (unreached > 0)
    return `${unreached} of ${results.length} checks could not be made: no reply (see above)`;
  if (noData > 0) return `no target missed, but ${noData} check(s) had no data to judge`;
  return `all ${results.length} checks passed`;
}

/**
 * A missed target (1) outranks an unreachable part (3): it is news whatever else happened. No data
 * counts as passed only when allowed.
 */
export function exitCodeOf(results: readonly CheckResult[], allowNoData = false): CheckExitCode {
  const has = (o: Outcome) => results.some((r) => r.outcome === o);
  if (has('fail') || (has('no-data') && !allowNoData)) return EXIT.missed;
  if (has('unreachable')) return EXIT.unreachable;
  return EXIT.met;
}
