// How often the cohort gate calls a false regression when it looks at every interval (A/A: both
// cohorts fail at the same rate), beside a fixed-n one-sided z interval checked at the same looks.
// Seeded, so the figures repeat; they are error rates, not timings. Run: npm run bench:cohort
import { peekingFalseAlarms } from '../test/fakes/aa-cohorts.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 2000);
const settings = [
  { rate: 0.05, looks: 50, perLook: 100 },
  { rate: 0.01, looks: 100, perLook: 200 },
  { rate: 0.2, looks: 200, perLook: 50 },
];
console.log(`A/A false regressions at α = 0.05, N* = 5000, tolerance 0, ${RUNS} seeded runs each`);
console.log('failure rate  looks  per look  sequence  fixed-n z checked every look');
for (const s of settings) {
  const r = peekingFalseAlarms({ ...s, runs: RUNS, seed: 13 });
  console.log(
    `${String(s.rate).padEnd(12)}  ${String(s.looks).padEnd(5)}  ${String(s.perLook).padEnd(8)}  ` +
      `${r.sequence.toFixed(3).padEnd(8)}  ${r.fixed.toFixed(3)}`,
  );
}
