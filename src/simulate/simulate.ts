// `canary simulate`, the shell: plan the runs, backfill them into a throwaway Prometheus, replay
// the alert of each rule file over every run with the daemon's evaluator, and summarize.
import { loadRuleFiles, formatRuleError } from '../canary/rules/load-rules.js';
import type { AlertingRule } from '../canary/types.js';
import { inlineRecorded, recordingRules } from '../canary/rules/inline-recorded.js';
import { scopeSelectors } from './scope-selectors.js';
import { EPOCH_MS, planRuns, SCRAPE_OFFSET_MS, type PlannedRun, type SimOptions } from './plan.js';
import { firingsBySegment } from './replay.js';
import { summarize, type RuleResults, type RunFirings } from './results.js';
import { RUN_LABEL, startSimPrometheus, type SimPrometheus } from './sim-prometheus.js';

export interface RuleSet {
  readonly label: string;
  readonly file: string;
}

export interface SimulateRun {
  readonly results: RuleResults[];
  /** Wall-clock seconds per phase, for the report and the speed claim. */
  readonly seconds: {
    readonly generate: number;
    readonly backfill: number;
    readonly query: number;
  };
  readonly simulatedDays: number;
}

interface LoadedAlert {
  readonly set: RuleSet;
  readonly rule: AlertingRule;
  /** The alert's expression with every recorded series it reads inlined. */
  readonly expr: string;
}

export async function loadAlert(
  set: RuleSet,
  alert: string,
  intervalMs: number,
): Promise<LoadedAlert> {
  const loaded = await loadRuleFiles([set.file], { defaultIntervalMs: intervalMs });
  if (!loaded.ok) throw new Error(loaded.errors.map(formatRuleError).join('\n'));
  for (const g of loaded.groups) {
    const rule = g.rules.find((r): r is AlertingRule => r.kind === 'alert' && r.name === alert);
    if (rule === undefined) continue;
    if (g.intervalMs !== intervalMs) {
      throw new Error(
        `${set.file}: group ${g.name} evaluates every ${g.intervalMs / 1000}s; run simulate with --interval ${g.intervalMs / 1000}s`,
      );
    }
    const inlined = inlineRecorded(rule.expr, recordingRules(loaded.groups));
    if (!inlined.ok) throw new Error(`${set.file}: ${inlined.error}`);
    return { set, rule, expr: inlined.expr };
  }
  throw new Error(`${set.file}: no alerting rule named ${alert}`);
}

async function replayRun(
  prom: SimPrometheus,
  a: LoadedAlert,
  run: PlannedRun,
  intervalMs: number,
): Promise<RunFirings> {
  const from = Math.min(...run.segments.map((s) => s.fromMs));
  const to = Math.max(...run.segments.map((s) => s.toMs));
  const values = await prom.queryRange(
    scopeSelectors(a.expr, RUN_LABEL, run.id),
    from,
    to,
    intervalMs,
  );
  const { counters: _c, ...meta } = run;
  return { run: meta, firings: firingsBySegment(a.rule, values, run.segments, intervalMs) };
}

/** Runs every rule set's `alert` over the same simulated traffic. `parallel` bounds processes and queries. */
export async function simulate(
  sets: readonly RuleSet[],
  alert: string,
  options: SimOptions,
  parallel: number,
  progress: (line: string) => void = () => undefined,
): Promise<SimulateRun> {
  const alerts = await Promise.all(sets.map((s) => loadAlert(s, alert, options.intervalMs)));
  let t = Date.now();
  const runs = planRuns(options);
  const generate = (Date.now() - t) / 1000;
  const simulatedDays =
    runs.reduce((s, r) => s + (r.counters.calls.length - 1) * options.scrapeMs, 0) / 86_400_000;
  progress(
    `generated ${runs.length} runs, ${simulatedDays.toFixed(0)} simulated days, in ${generate.toFixed(1)} s`,
  );
  t = Date.now();
  const prom = await startSimPrometheus(
    runs.map((r) => ({ id: r.id, counters: r.counters })),
    // Every run starts on the shared time axis of plan.ts.
    { firstScrapeMs: EPOCH_MS + SCRAPE_OFFSET_MS, scrapeMs: options.scrapeMs },
    parallel,
  );
  const backfill = (Date.now() - t) / 1000;
  progress(`backfilled and started Prometheus in ${backfill.toFixed(1)} s`);
  try {
    t = Date.now();
    const results: RuleResults[] = [];
    for (const a of alerts) {
      const jobs = runs.map((run) => () => replayRun(prom, a, run, options.intervalMs));
      const firings = await inBatches(jobs, parallel);
      results.push(summarize(a.set.label, a.set.file, firings));
      progress(`replayed ${a.set.label} (${a.set.file}) over every run`);
    }
    return {
      results,
      seconds: { generate, backfill, query: (Date.now() - t) / 1000 },
      simulatedDays,
    };
  } finally {
    await prom.stop();
  }
}

async function inBatches<T>(jobs: readonly (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const out: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  return out;
}
