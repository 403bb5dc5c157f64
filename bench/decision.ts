// npm run bench:decision — issue 10's goal table for ai_service_failure, the landed rule beside
// the rule before issue 10 (bench/fixtures/ai-search.rules.before-issue-10.yml), both measured by
// `canary simulate` on the same synthetic traffic through the real PromQL engine.
// BENCH_DAYS (steady days per run, default 30), BENCH_EPISODES (step episodes, default 120),
// BENCH_RATES (calls/s of the step runs, default 0.1,0.5,2), BENCH_STEADY_RATES (calls/s of the
// steady runs, default 0.07,0.1,0.2,0.5,2,10,50: from the guard up to 50/s), BENCH_OUT (report folder, default bench-out/decision).
import os from 'node:os';
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { goalText, htmlReport, ocSvg } from '../src/simulate/report.js';
import { simulate } from '../src/simulate/simulate.js';

const days = Number(process.env.BENCH_DAYS ?? 30);
const episodes = Number(process.env.BENCH_EPISODES ?? 120);
const rates = (process.env.BENCH_RATES ?? '0.1,0.5,2').split(',').map(Number);
const steadyRates = (process.env.BENCH_STEADY_RATES ?? '0.07,0.1,0.2,0.5,2,10,50')
  .split(',')
  .map(Number);
const out = process.env.BENCH_OUT ?? 'bench-out/decision';
const options = {
  rates,
  steadyRates,
  steadyFailures: [0.05, 0.07],
  steadyDays: days,
  stepFailures: [0.07, 0.1, 0.12, 0.15, 0.2, 0.3],
  baseline: 0.02,
  episodes,
  withinMs: 20 * 60_000,
  seed: 1,
  intervalMs: 15_000,
  scrapeMs: 15_000,
};

const sim = await simulate(
  [
    { label: 'landed', file: 'rules/ai-search.rules.yml' },
    { label: 'before issue 10', file: 'bench/fixtures/ai-search.rules.before-issue-10.yml' },
  ],
  'ai_service_failure',
  options,
  Math.max(1, Math.min(2, os.availableParallelism())),
  (l) => console.error(l),
);
console.log(
  `ai_service_failure, ${sim.simulatedDays.toFixed(0)} simulated days (${days} per steady run, ${episodes} episodes per step), seed 1`,
);
console.log(goalText(sim.results));
const s = sim.seconds;
console.log(
  `\nwall clock (shared 2-core machine): generate ${s.generate.toFixed(1)} s, backfill + start ${s.backfill.toFixed(1)} s, query + evaluate both rules ${s.query.toFixed(1)} s`,
);
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'oc-curve.svg'), ocSvg(sim.results, options.withinMs));
writeFileSync(
  path.join(out, 'report.html'),
  htmlReport(sim.results, options.withinMs, 'npm run bench:decision'),
);
console.log(`wrote ${path.join(out, 'oc-curve.svg')} and ${path.join(out, 'report.html')}`);
