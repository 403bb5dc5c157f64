// A/A cohorts for the cohort gate: both fail at the same rate, and the gate looks after every batch.
// Counts the runs in which the confidence sequence, and a fixed-n one-sided z interval checked at
// the same looks, called a (false) regression at tolerance 0. Seeded, so the figures repeat.
import { judgeDifference, proportionDifferenceBound } from '../../src/rollout/cohort-statistics.js';
import { mulberry32 } from '../../src/shared/random.js';

/** z for one-sided α = 0.05, from Python's statistics.NormalDist().inv_cdf(0.95). */
const Z_95 = 1.64485362695147;

export interface PeekingSetting {
  readonly rate: number;
  readonly looks: number;
  /** Searches added to each cohort between looks. */
  readonly perLook: number;
  readonly runs: number;
  readonly seed: number;
}

export function peekingFalseAlarms(s: PeekingSetting): { sequence: number; fixed: number } {
  const random = mulberry32(s.seed);
  let sequence = 0;
  let fixed = 0;
  for (let run = 0; run < s.runs; run++) {
    const c = { events: 0, trials: 0 };
    const b = { events: 0, trials: 0 };
    let seqAlarm = false;
    let fixedAlarm = false;
    for (let look = 0; look < s.looks; look++) {
      for (let i = 0; i < s.perLook; i++) {
        if (random() < s.rate) c.events++;
        if (random() < s.rate) b.events++;
      }
      c.trials += s.perLook;
      b.trials += s.perLook;
      const r = proportionDifferenceBound(c, b, 'higher');
      if (judgeDifference(r, 0).verdict === 'regression') seqAlarm = true;
      if (r.ok && r.estimate - Z_95 * r.standardError > 0) fixedAlarm = true;
    }
    if (seqAlarm) sequence++;
    if (fixedAlarm) fixed++;
  }
  return { sequence: sequence / s.runs, fixed: fixed / s.runs };
}
