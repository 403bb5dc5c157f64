// What `canary backtest` prints: a table of transitions and actions per rule version, the diff of
// two versions, and the same as JSON (times in RFC 3339). Pure: report in, text out.
import { formatValue } from '../actions/action.js';
import type { BacktestDiff, VersionReplay } from './backtest-diff.js';
import type { PlannedAction, ReplayedTransition } from './replay.js';

export interface BacktestReport {
  readonly fromMs: number;
  readonly toMs: number;
  readonly prometheus: string;
  /** Recorded series read as Prometheus recorded them, or replaced by their recording rules. */
  readonly recorded: 'as-recorded' | 'inlined';
  readonly evaluations: number;
  readonly requests: number;
  readonly versions: readonly VersionReplay[];
  readonly diff: BacktestDiff | undefined;
  /** Things the reader should know before trusting the tables (a rule with no data at all…). */
  readonly warnings: readonly string[];
  /** index.html of the charts, when written. */
  readonly chartsIndex: string | undefined;
}

const iso = (t: number) => new Date(t).toISOString();
const labelText = (instance: string) => (instance === '{}' ? '' : instance);

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

function transitionRows(
  ts: readonly ReplayedTransition[],
  tag?: (t: ReplayedTransition) => string,
) {
  const head = ['time', 'alert', 'transition', 'value', 'threshold', 'for', 'activeAt'];
  const rows = ts.map((t) => [
    iso(t.at),
    `${t.rule}${labelText(t.instance)}`,
    `${t.from} → ${t.to}`,
    t.value === null ? '-' : formatValue(t.value),
    t.threshold ?? '-',
    `${t.forSeconds}s`,
    iso(t.activeAt),
  ]);
  return tag ? [['', ...head], ...rows.map((r, i) => [tag(ts[i]!), ...r])] : [head, ...rows];
}

function actionRows(as: readonly PlannedAction[], tag?: (a: PlannedAction) => string) {
  const head = ['time', 'action', 'event', 'alert', 'value', 'threshold', 'for', 'activeAt'];
  const rows = as.map((a) => [
    iso(a.at),
    a.action,
    a.event,
    `${a.rule}${labelText(a.instance)}`,
    formatValue(a.value),
    a.threshold ?? '-',
    `${a.forSeconds}s`,
    iso(a.activeAt),
  ]);
  return tag ? [['', ...head], ...rows.map((r, i) => [tag(as[i]!), ...r])] : [head, ...rows];
}

export function formatReport(r: BacktestReport): string {
  const out = [
    `backtest ${iso(r.fromMs)} → ${iso(r.toMs)} against ${r.prometheus} (recorded series ${r.recorded === 'inlined' ? 'inlined' : 'read as recorded'}; ${r.evaluations} evaluations, ${r.requests} range queries)`,
  ];
  for (const w of r.warnings) out.push(`warning: ${w}`);
  for (const v of r.versions) {
    const ts = v.rules.flatMap((x) => x.transitions).sort((a, b) => a.at - b.at);
    const as = v.rules.flatMap((x) => x.actions).sort((a, b) => a.at - b.at);
    out.push(
      '',
      `== ${v.file}: ${v.rules.length} alerting rules, ${ts.length} transitions, ${as.length} actions`,
    );
    if (ts.length > 0) out.push('', ...table(transitionRows(ts)));
    if (as.length > 0)
      out.push('', 'actions the daemon would have started:', ...table(actionRows(as)));
  }
  if (r.diff && r.versions.length === 2)
    out.push('', ...formatDiff(r.diff, r.versions[0]!.file, r.versions[1]!.file));
  if (r.chartsIndex) out.push('', `charts: ${r.chartsIndex}`);
  return `${out.join('\n')}\n`;
}

function formatDiff(d: BacktestDiff, a: string, b: string): string[] {
  const rollbacks = (x: readonly PlannedAction[]) =>
    x.filter((y) => y.action === 'immediate_rollback').length;
  const out = [`== diff: - only with ${a}, + only with ${b}`];
  const acts = [
    ...d.actionsOnlyA.map((x) => ['-', x] as const),
    ...d.actionsOnlyB.map((x) => ['+', x] as const),
  ].sort((x, y) => x[1].at - y[1].at);
  if (acts.length > 0) {
    const sign = new Map(acts.map(([s, x]) => [x, s]));
    out.push(
      'actions:',
      ...table(
        actionRows(
          acts.map(([, x]) => x),
          (x) => sign.get(x)!,
        ),
      ),
    );
  } else out.push('the same actions at the same slots');
  // Firing and resolving are what act; pending moments that differ are counted (all are in --json).
  const moves = [...d.onlyA.map((t) => ['-', t] as const), ...d.onlyB.map((t) => ['+', t] as const)]
    .filter(([, t]) => t.to === 'firing' || t.to === 'resolved' || t.from === 'firing')
    .sort((x, y) => x[1].at - y[1].at);
  if (moves.length > 0) {
    const sign = new Map(moves.map(([s, t]) => [t, s]));
    out.push('', 'firing and resolved transitions:');
    out.push(
      ...table(
        transitionRows(
          moves.map(([, t]) => t),
          (t) => sign.get(t)!,
        ),
      ),
    );
  }
  const pendingOnly = d.onlyA.length + d.onlyB.length - moves.length;
  if (pendingOnly > 0)
    out.push('', `${pendingOnly} pending/inactive transitions differ as well (--json lists them)`);
  out.push(
    '',
    `rollbacks only with ${a}: ${rollbacks(d.actionsOnlyA)}; only with ${b}: ${rollbacks(d.actionsOnlyB)}`,
  );
  return out;
}

/** The report as JSON: times as RFC 3339, rules by name (their full definition is in the files). */
export function reportJson(r: BacktestReport): unknown {
  const t = (x: ReplayedTransition | PlannedAction) => ({
    ...x,
    at: iso(x.at),
    activeAt: iso(x.activeAt),
    value: x.value !== null && Number.isFinite(x.value) ? x.value : null,
  });
  return {
    from: iso(r.fromMs),
    to: iso(r.toMs),
    prometheus: r.prometheus,
    recordedSeries: r.recorded,
    evaluations: r.evaluations,
    warnings: r.warnings,
    rangeQueries: r.requests,
    versions: r.versions.map((v) => ({
      file: v.file,
      rules: v.rules.map((x) => ({
        group: x.group,
        rule: x.rule.name,
        expr: x.rule.expr,
        forSeconds: x.rule.forMs / 1000,
      })),
      transitions: v.rules
        .flatMap((x) => x.transitions)
        .sort((a, b) => a.at - b.at)
        .map(t),
      actions: v.rules
        .flatMap((x) => x.actions)
        .sort((a, b) => a.at - b.at)
        .map(t),
    })),
    diff: r.diff && {
      onlyA: r.diff.onlyA.map(t),
      onlyB: r.diff.onlyB.map(t),
      actionsOnlyA: r.diff.actionsOnlyA.map(t),
      actionsOnlyB: r.diff.actionsOnlyB.map(t),
    },
    charts: r.chartsIndex ?? null,
  };
}
