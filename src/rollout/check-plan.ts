// `canary rollout plan check FILE…`: the strict plan loader run on its own, with a report for
// people: every step with its hold (after --time-scale) and minimum sample, and the gates.
import { formatDuration } from '../canary/rules/duration.js';
import { formatRuleError } from '../canary/rules/yaml-context.js';
import { loadPlanFile } from './load-plan.js';
import { GUARDED_METRICS, scalePlan } from './plan.js';
import type { RolloutPlan } from './plan.js';

export interface PlanCheckOutput {
  readonly ok: boolean;
  /** Lines for stdout (the summary) and stderr (one `file:line:col: message` per error). */
  readonly stdout: readonly string[];
  readonly stderr: readonly string[];
}

/** `timeScale` must already be a number ≥ 1 (the command line refuses anything else). */
export async function checkPlanFiles(
  paths: readonly string[],
  timeScale = 1,
): Promise<PlanCheckOutput> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  for (const file of paths) {
    const loaded = await loadPlanFile(file);
    if (!loaded.ok) {
      stderr.push(...loaded.errors.map(formatRuleError));
      continue;
    }
    const scaled = scalePlan(loaded.plan, timeScale);
    if (!scaled.ok) stderr.push(`${file}: ${scaled.error}`);
    else stdout.push(...summary(scaled.plan, timeScale));
  }
  if (stderr.length > 0) {
    const n = stderr.length;
    return {
      ok: false,
      stdout: [],
      stderr: [...stderr, `${n} error${n === 1 ? '' : 's'} in rollout plans`],
    };
  }
  return { ok: true, stdout, stderr };
}

function summary(plan: RolloutPlan, timeScale: number): string[] {
  const { alpha, tuningN } = plan.statistics;
  const scale = timeScale === 1 ? '' : `, holds divided by ${timeScale}`;
  const lines = [
    `OK: ${plan.file}: flag ${plan.flag}, ${plan.steps.length} steps, on failure ${plan.onFailure}, ` +
      `α ${alpha}, N* ${tuningN}${scale}`,
  ];
  plan.steps.forEach((s, i) => {
    lines.push(
      `  ${i + 1}. ${s.name}: ${s.segment} ${s.percentage}%, hold ${formatDuration(s.holdMs)}, ` +
        `at least ${s.minSample.searches} AI searches and ${s.minSample.users} users`,
    );
  });
  if (plan.gates.alertSeverities.length > 0) {
    const ignored = plan.gates.ignoredAlerts;
    const except = ignored.length > 0 ? ` (not watching ${ignored.join(', ')})` : '';
    lines.push(
      `  gate: no ${plan.gates.alertSeverities.join('/')} alert pending or firing${except}`,
    );
  }
  for (const m of plan.gates.metrics) {
    if (m.metric === 'latency_p95') {
      lines.push(
        `  gate: latency_p95: the AI cohort's share of searches slower than ${m.thresholdSeconds} s no more than ${m.tolerance} above the keyword cohort's`,
      );
      continue;
    }
    const spec = GUARDED_METRICS[m.metric];
    const unit = spec.unit === 'seconds' ? ' s' : '';
    lines.push(
      `  gate: ${m.metric} of the AI cohort no more than ${m.tolerance}${unit} ${spec.worse === 'higher' ? 'above' : 'below'} the keyword cohort`,
    );
  }
  return lines;
}
