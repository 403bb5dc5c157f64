// From firing moments to the figures a rule is judged by: false rollbacks per 30 days at steady
// failure rates, time to rollback after a step, the OC curve, and the issue-10 goal table.
import { STEP_HORIZON_MS, type PlannedRun } from './plan.js';

export interface RunFirings {
  readonly run: Omit<PlannedRun, 'counters'>;
  /** Firing moments per segment (see PlannedRun.segments). */
  readonly firings: readonly (readonly number[])[];
}

export interface SteadyResult {
  readonly rate: number;
  readonly failure: number;
  readonly firings: number;
  readonly evaluatedDays: number;
  readonly per30Days: number;
}

export interface StepResult {
  readonly rate: number;
  readonly failure: number;
  /** Per episode: ms from the step to the first firing after it; undefined = not within the horizon. */
  readonly ttrMs: readonly (number | undefined)[];
  /** Episodes that fired during their baseline part (false rollbacks at the baseline rate). */
  readonly early: number;
}

export interface RuleResults {
  readonly label: string;
  readonly file: string;
  readonly steady: readonly SteadyResult[];
  readonly steps: readonly StepResult[];
  /** Firings on the "1 failure in 3 calls" pattern. */
  readonly oneInThree: number;
}

const DAY_MS = 86_400_000;

export function summarize(label: string, file: string, runs: readonly RunFirings[]): RuleResults {
  const steady: SteadyResult[] = [];
  const steps: StepResult[] = [];
  let oneInThree = 0;
  for (const { run, firings } of runs) {
    if (run.kind === 'pattern') {
      oneInThree += firings.flat().length;
    } else if (run.kind === 'steady') {
      const evaluatedMs = run.segments.reduce((s, g) => s + (g.toMs - g.fromMs), 0);
      const n = firings.flat().length;
      steady.push({
        rate: run.ratePerSec,
        failure: run.failure,
        firings: n,
        evaluatedDays: evaluatedMs / DAY_MS,
        per30Days: (n * 30 * DAY_MS) / evaluatedMs,
      });
    } else {
      let early = 0;
      const ttrMs = run.switches.map((at, e) => {
        if ((firings[2 * e] ?? []).length > 0) early++;
        const first = (firings[2 * e + 1] ?? [])[0];
        return first === undefined ? undefined : first - at;
      });
      steps.push({ rate: run.ratePerSec, failure: run.failure, ttrMs, early });
    }
  }
  return { label, file, steady, steps, oneInThree };
}

/** The q-quantile of the TTRs, misses counting as +∞; undefined when it is a miss. */
export function ttrQuantile(ttrMs: readonly (number | undefined)[], q: number): number | undefined {
  const sorted = ttrMs.map((t) => t ?? Infinity).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const v = sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))]!;
  return Number.isFinite(v) ? v : undefined;
}

export function withinShare(ttrMs: readonly (number | undefined)[], withinMs: number): number {
  if (ttrMs.length === 0) return NaN;
  return ttrMs.filter((t) => t !== undefined && t <= withinMs).length / ttrMs.length;
}

export interface GoalRow {
  readonly goal: string;
  readonly traffic: string;
  readonly target: string;
  /** Measured, per rule (same order as the results given). */
  readonly measured: readonly { readonly text: string; readonly met: boolean | undefined }[];
}

const fmtMin = (ms: number | undefined) =>
  ms === undefined ? 'missed' : `${(ms / 60_000).toFixed(2)} min`;

/** The issue-10 goal table for each rule set, side by side. `ttrGoalMin` maps a traffic level to its median bound. */
export function goalTable(
  results: readonly RuleResults[],
  horizonMin = STEP_HORIZON_MS / 60_000,
  ttrGoalMin: ReadonlyMap<number, number> = new Map([
    [0.1, 9],
    [0.5, 7.5],
    [2, 7],
  ]),
): GoalRow[] {
  const rows: GoalRow[] = [];
  const first = results[0];
  if (first === undefined) return rows;
  for (const s of first.steady) {
    const per = s.failure <= 0.05 ? 30 : 7;
    const at = (r: RuleResults) =>
      r.steady.find((x) => x.rate === s.rate && x.failure === s.failure);
    rows.push({
      goal: `${pct(s.failure)} steady`,
      traffic: `${s.rate}/s`,
      target: `≤ 1 false rollback / ${per} days`,
      measured: results.map((r) => {
        const m = at(r);
        if (m === undefined) return { text: 'n/a', met: undefined };
        const perDays = (m.firings * per) / m.evaluatedDays;
        return {
          text: `${perDays.toFixed(2)} / ${per} d (${m.firings} in ${m.evaluatedDays.toFixed(1)} d)`,
          met: perDays <= 1,
        };
      }),
    });
  }
  for (const s of first.steps) {
    const at = (r: RuleResults) =>
      r.steps.find((x) => x.rate === s.rate && x.failure === s.failure);
    const bound = ttrGoalMin.get(s.rate);
    if (s.failure === 0.3 && bound !== undefined) {
      rows.push({
        goal: '2% → 30%',
        traffic: `${s.rate}/s`,
        target: `median TTR ≤ ${bound} min, none missed (${horizonMin} min)`,
        measured: results.map((r) => {
          const m = at(r);
          if (m === undefined) return { text: 'n/a', met: undefined };
          const med = ttrQuantile(m.ttrMs, 0.5);
          const misses = m.ttrMs.filter((t) => t === undefined).length;
          return {
            text: `median ${fmtMin(med)}, p90 ${fmtMin(ttrQuantile(m.ttrMs, 0.9))}, ${misses} missed of ${m.ttrMs.length}`,
            met: med !== undefined && med <= bound * 60_000 && misses === 0,
          };
        }),
      });
    }
    if (s.failure === 0.15 && s.rate >= 0.5) {
      rows.push({
        goal: '2% → 15%',
        traffic: `${s.rate}/s`,
        target: 'rolled back within 20 min in ≥ 95%',
        measured: results.map((r) => {
          const m = at(r);
          if (m === undefined) return { text: 'n/a', met: undefined };
          const share = withinShare(m.ttrMs, 20 * 60_000);
          return { text: `${(share * 100).toFixed(1)}% of ${m.ttrMs.length}`, met: share >= 0.95 };
        }),
      });
    }
  }
  rows.push({
    goal: '1 failure in 3 calls',
    traffic: '3 calls / 5 min, 6 h',
    target: 'never',
    measured: results.map((r) => ({ text: `${r.oneInThree} rollbacks`, met: r.oneInThree === 0 })),
  });
  return rows;
}

export function pct(p: number): string {
  return `${Math.round(p * 1000) / 10}%`;
}
