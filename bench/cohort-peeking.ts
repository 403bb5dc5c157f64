// How often the cohort gate calls a false regression when it looks at every interval (A/A: both
// cohorts fail at the same rate), beside a fixed-n one-sided z interval checked at the same looks.
// Seeded, so the figures repeat; they are error rates, not timings. Run: npm run bench:cohort
import { judgeDifference, proportionDifferenceBound } from '../src/rollout/cohort-statistics.js';
import { mulberry32 } from '../src/shared/random.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 2000);
const Z_95 = 1.64485362695147; // one-sided α = 0.05, from Python's statistics.NormalDist

interface Setting {
  readonly rate: number;
  readonly looks: number;
  readonly perLook: number;
}

function falseAlarms(s: Setting, seed: number): { sequence: number; fixed: number } {
  const random = mulberry32(seed);
  let sequence = 0;
  let fixed = 0;
  for (let run = 0; run < RUNS; run++) {
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
  return { sequence: sequence / RUNS, fixed: fixed / RUNS };
}

const settings: readonly Setting[] = [
  { rate: 0.05, looks: 50, perLook: 100 },
  { rate: 0.01, looks: 100, perLook: 200 },
  { rate: 0.2, looks: 200, perLook: 50 },
];
console.log(`A/A false regressions at α = 0.05, N* = 5000, tolerance 0, ${RUNS} seeded runs each`);
console.log('failure rate  looks  per look  sequence  fixed-n z checked every look');
for (const s of settings) {
  const r = falseAlarms(s, 13);
  console.log(
    `${String(s.rate).padEnd(12)}  ${String(s.looks).padEnd(5)}  ${String(s.perLook).padEnd(8)}  ` +
      `${r.sequence.toFixed(3).padEnd(8)}  ${r.fixed.toFixed(3)}`,
  );
}
