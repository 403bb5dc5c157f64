// The strict rollout plan loader: a YAML plan → a frozen RolloutPlan, or every error found as
// `file:line:col: message`. It reads positions with the rule loader's YamlContext so both files
// report errors the same way.
import { readFile } from 'node:fs/promises';
import { isScalar } from 'yaml';
import type { Node, Pair, Scalar, YAMLMap } from 'yaml';
import { parseDuration } from '../canary/rules/duration.js';
import { openYaml } from '../canary/rules/yaml-context.js';
import type { RuleError, YamlContext } from '../canary/rules/yaml-context.js';
import { SEGMENTS } from '../flags/types.js';
import { DEFAULT_SEQUENCE } from './cohort-statistics.js';
import type { SequenceOptions } from './cohort-statistics.js';
import { SEARCH_DURATION_BOUNDS } from './latency-exceedance.js';
import { FAILURE_POLICIES, GUARDED_METRICS, flagPercentageKey } from './plan.js';
import type {
  FailurePolicy,
  GuardedMetric,
  MetricGate,
  PlanGates,
  PlanSegment,
  PlanStep,
  RolloutPlan,
} from './plan.js';

export type PlanError = RuleError;
export type PlanLoad =
  | { readonly ok: true; readonly plan: RolloutPlan }
  | { readonly ok: false; readonly errors: readonly PlanError[] };

const TOP_KEYS = ['flag', 'on_failure', 'statistics', 'steps', 'gates'];
const STEP_KEYS = ['name', 'segment', 'percentage', 'hold', 'min_sample'];
const SEGMENT_NAMES: readonly PlanSegment[] = [...SEGMENTS, 'public'];
/** Above 0.05 the sequence's width stops shrinking as α grows (ρ is tuned to α; see the tests). */
const MAX_ALPHA = 0.05;
const FLAG_NAME = /^[a-z0-9][a-z0-9._-]*$/;

export async function loadPlanFile(file: string): Promise<PlanLoad> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const message = `cannot read rollout plan: ${(err as Error).message}`;
    return { ok: false, errors: [{ file, line: 1, col: 1, message }] };
  }
  return parsePlanText(text, file);
}

/** Parses one plan's text; `file` is only used in positions and errors. */
export function parsePlanText(text: string, file: string): PlanLoad {
  const yaml = openYaml(text, file);
  if (!yaml.ok) return yaml;
  const { ctx } = yaml;
  const plan = parsePlan(ctx, yaml.contents);
  if (plan !== undefined && ctx.errors.length === 0) return { ok: true, plan };
  const errors = [...ctx.errors].sort((a, b) => a.line - b.line || a.col - b.col);
  return { ok: false, errors };
}

function parsePlan(ctx: YamlContext, contents: unknown): RolloutPlan | undefined {
  const top = ctx.map(contents, 'a rollout plan (flag, on_failure, steps, gates)');
  if (top === undefined) return undefined;
  const pairs = ctx.pairs(top, TOP_KEYS, 'rollout plan');
  for (const key of ['flag', 'on_failure', 'steps', 'gates']) {
    if (!pairs.has(key)) ctx.error(top, `a rollout plan needs "${key}:"`);
  }
  const flag = pairs.has('flag') ? ctx.string(pairs.get('flag')?.value, 'flag') : undefined;
  if (flag !== undefined && !FLAG_NAME.test(flag.text)) {
    ctx.error(flag.node, `flag: ${JSON.stringify(flag.text)} is not a flag name`);
  }
  const onFailure = pairs.has('on_failure')
    ? oneOf(ctx, pairs.get('on_failure')?.value, 'on_failure', FAILURE_POLICIES)
    : undefined;
  const statistics = parseStatistics(ctx, pairs.get('statistics')?.value);
  const steps = pairs.has('steps') ? parseSteps(ctx, pairs.get('steps')?.value) : [];
  const gates = pairs.has('gates') ? parseGates(ctx, pairs.get('gates')?.value) : undefined;
  if (flag === undefined || onFailure === undefined || gates === undefined) return undefined;
  return Object.freeze({
    file: ctx.file,
    flag: flag.text,
    onFailure: onFailure as FailurePolicy,
    statistics,
    steps: Object.freeze(steps),
    gates,
  });
}

function parseStatistics(ctx: YamlContext, node: unknown): SequenceOptions {
  if (node === undefined) return DEFAULT_SEQUENCE;
  const map = ctx.map(node, 'statistics');
  if (map === undefined) return DEFAULT_SEQUENCE;
  const pairs = ctx.pairs(map, ['alpha', 'tuning_n'], 'statistics');
  const alphaNode = pairs.get('alpha')?.value;
  const alpha = alphaNode === undefined ? DEFAULT_SEQUENCE.alpha : number(ctx, alphaNode, 'alpha');
  if (alpha !== undefined && !(alpha > 0 && alpha <= MAX_ALPHA)) {
    ctx.error(alphaNode as Node, `alpha must be above 0 and at most ${MAX_ALPHA}, got ${alpha}`);
  }
  const tuningNode = pairs.get('tuning_n')?.value;
  const tuningN =
    tuningNode === undefined ? DEFAULT_SEQUENCE.tuningN : count(ctx, tuningNode, 'tuning_n', 1);
  return Object.freeze({
    alpha: alpha ?? DEFAULT_SEQUENCE.alpha,
    tuningN: tuningN ?? DEFAULT_SEQUENCE.tuningN,
  });
}

function parseSteps(ctx: YamlContext, node: unknown): PlanStep[] {
  const list = ctx.seq(node, 'steps');
  if (list === undefined) return [];
  if (list.items.length === 0) ctx.error(list, 'steps: a plan needs at least one step');
  const steps: PlanStep[] = [];
  const names = new Set<string>();
  const reached = new Map<string, number>();
  for (const item of list.items) {
    const step = parseStep(ctx, item);
    if (step === undefined) continue;
    if (names.has(step.name))
      ctx.error(item as Node, `step ${JSON.stringify(step.name)} is repeated`);
    names.add(step.name);
    // A rollout only widens: a step that lowers a segment's percentage is a rollback in disguise.
    const key = flagPercentageKey(step.segment);
    const before = reached.get(key) ?? 0;
    if (step.percentage <= before) {
      ctx.error(
        item as Node,
        `step ${JSON.stringify(step.name)}: ${step.segment} is already at ${before}%; ` +
          'each step must raise its segment',
      );
    }
    reached.set(key, Math.max(before, step.percentage));
    steps.push(step);
  }
  return steps;
}

function parseStep(ctx: YamlContext, node: unknown): PlanStep | undefined {
  const map = ctx.map(node, 'step');
  if (map === undefined) return undefined;
  const pairs = ctx.pairs(map, STEP_KEYS, 'step');
  for (const key of STEP_KEYS) if (!pairs.has(key)) ctx.error(map, `a step needs "${key}:"`);
  const name = pairs.has('name') ? ctx.string(pairs.get('name')?.value, 'step name') : undefined;
  if (name !== undefined && name.text.trim() === '') ctx.error(name.node, 'step name is empty');
  const segment = pairs.has('segment')
    ? oneOf(ctx, pairs.get('segment')?.value, 'segment', SEGMENT_NAMES)
    : undefined;
  const pctNode = pairs.get('percentage')?.value;
  const percentage = pctNode === undefined ? undefined : count(ctx, pctNode, 'percentage', 1);
  if (percentage !== undefined && percentage > 100) {
    ctx.error(
      pctNode as Node,
      `percentage must be a whole number from 1 to 100, got ${percentage}`,
    );
  }
  const hold = pairs.has('hold') ? ctx.string(pairs.get('hold')?.value, 'hold') : undefined;
  let holdMs: number | undefined;
  if (hold !== undefined) {
    const parsed = parseDuration(hold.text);
    if (!parsed.ok) ctx.error(hold.node, `hold: ${parsed.message}`);
    else if (parsed.ms === 0) ctx.error(hold.node, 'hold must be longer than 0');
    else holdMs = parsed.ms;
  }
  const minSample = pairs.has('min_sample')
    ? parseMinSample(ctx, pairs.get('min_sample')?.value)
    : undefined;
  if (!name || !segment || percentage === undefined || !holdMs || !minSample) return undefined;
  return Object.freeze({
    name: name.text,
    segment: segment as PlanSegment,
    percentage,
    holdMs,
    minSample,
    pos: ctx.posOf(map),
  });
}

function parseMinSample(ctx: YamlContext, node: unknown): PlanStep['minSample'] | undefined {
  const map = ctx.map(node, 'min_sample');
  if (map === undefined) return undefined;
  const pairs = ctx.pairs(map, ['searches', 'users'], 'min_sample');
  const get = (key: string) => {
    const value = pairs.get(key)?.value;
    if (value === undefined) ctx.error(map, `min_sample needs "${key}:"`);
    return value === undefined ? undefined : count(ctx, value, `min_sample.${key}`, 0);
  };
  const searches = get('searches');
  const users = get('users');
  if (searches === undefined || users === undefined) return undefined;
  if (users > searches) {
    ctx.error(map, `min_sample: ${users} users cannot come from only ${searches} searches`);
  }
  return Object.freeze({ searches, users });
}

function parseGates(ctx: YamlContext, node: unknown): PlanGates | undefined {
  const map = ctx.map(node, 'gates');
  if (map === undefined) return undefined;
  const pairs = ctx.pairs(map, ['alerts', 'metrics'], 'gates');
  const severities: string[] = [];
  const alerts = pairs.get('alerts')?.value;
  const alertMap = alerts === undefined ? undefined : ctx.map(alerts, 'gates.alerts');
  const ignored: string[] = [];
  if (alertMap !== undefined) {
    const alertPairs = ctx.pairs(alertMap, ['severities', 'ignore'], 'gates.alerts');
    const sev = alertPairs.get('severities')?.value;
    if (sev === undefined) ctx.error(alertMap, 'gates.alerts needs "severities:"');
    uniqueStrings(ctx, sev, 'severities', 'severity', severities);
    uniqueStrings(ctx, alertPairs.get('ignore')?.value, 'ignore', 'ignored alert', ignored);
  }
  const metrics: MetricGate[] = [];
  const metricsNode = pairs.get('metrics')?.value;
  for (const item of (metricsNode === undefined ? undefined : ctx.seq(metricsNode, 'metrics'))
    ?.items ?? []) {
    const gate = parseMetricGate(ctx, item);
    if (gate === undefined) continue;
    if (metrics.some((m) => m.metric === gate.metric)) {
      ctx.error(item as Node, `metric ${gate.metric} is guarded twice`);
    }
    metrics.push(gate);
  }
  if (severities.length === 0 && metrics.length === 0) {
    ctx.error(map, 'gates: a plan needs at least one alert severity or guarded metric');
  }
  return Object.freeze({
    alertSeverities: Object.freeze(severities),
    ignoredAlerts: Object.freeze(ignored),
    metrics: Object.freeze(metrics),
  });
}

/** A YAML list of strings into `out`, each once (a repeat is an error at its position). */
function uniqueStrings(
  ctx: YamlContext,
  node: unknown,
  what: string,
  item: string,
  out: string[],
): void {
  for (const n of (node === undefined ? undefined : ctx.seq(node, what))?.items ?? []) {
    const s = ctx.string(n, item);
    if (s === undefined) continue;
    if (out.includes(s.text)) ctx.error(s.node, `${item} ${s.text} is repeated`);
    out.push(s.text);
  }
}

function parseMetricGate(ctx: YamlContext, node: unknown): MetricGate | undefined {
  const map = ctx.map(node, 'guarded metric');
  if (map === undefined) return undefined;
  const pairs = ctx.pairs(map, ['metric', 'tolerance', 'threshold'], 'guarded metric');
  const metric = pairs.has('metric')
    ? oneOf(ctx, pairs.get('metric')?.value, 'metric', Object.keys(GUARDED_METRICS))
    : undefined;
  const tolNode = pairs.get('tolerance')?.value;
  if (!pairs.has('metric')) ctx.error(map, 'a guarded metric needs "metric:"');
  if (tolNode === undefined) ctx.error(map, 'a guarded metric needs "tolerance:"');
  const tolerance = tolNode === undefined ? undefined : number(ctx, tolNode, 'tolerance');
  if (tolerance !== undefined && tolerance < 0) {
    ctx.error(tolNode as Node, `tolerance must be 0 or more, got ${tolerance}`);
    return undefined;
  }
  if (metric === undefined || tolerance === undefined) return undefined;
  if (metric === 'latency_p95') return parseP95Gate(ctx, map, pairs, tolNode as Node, tolerance);
  const thresholdNode = pairs.get('threshold')?.key;
  if (thresholdNode !== undefined) {
    ctx.error(thresholdNode as Node, `"threshold:" belongs to latency_p95 only, not ${metric}`);
  }
  if (GUARDED_METRICS[metric as GuardedMetric].unit === 'ratio' && tolerance >= 1) {
    ctx.error(tolNode as Node, `tolerance of a ratio must be below 1, got ${tolerance}`);
  }
  return Object.freeze({
    metric: metric as Exclude<GuardedMetric, 'latency_p95'>,
    tolerance,
  });
}

/**
 * latency_p95: the share of searches slower than `threshold` seconds, flag-on against flag-off
 * (latency-exceedance.ts). The threshold must be a bound of the search latency histogram, where
 * the count is exact; the tolerance is in proportion points, strictly between 0 and 1 (0 would
 * fail on any excess the sequence resolves, 1 could never fail).
 */
function parseP95Gate(
  ctx: YamlContext,
  map: YAMLMap,
  pairs: Map<string, Pair>,
  tolNode: Node,
  tolerance: number,
): MetricGate | undefined {
  let ok = true;
  if (!(tolerance > 0 && tolerance < 1)) {
    ctx.error(tolNode, `tolerance of latency_p95 is a share, in (0, 1), got ${tolerance}`);
    ok = false;
  }
  const tNode = pairs.get('threshold')?.value;
  if (tNode === undefined) {
    ctx.error(map, 'latency_p95 needs "threshold:" (seconds, a search histogram bound)');
    return undefined;
  }
  const threshold = number(ctx, tNode, 'threshold');
  if (threshold === undefined) return undefined;
  if (!SEARCH_DURATION_BOUNDS.includes(threshold)) {
    ctx.error(
      tNode as Node,
      `threshold must be a bound of the search latency histogram (${SEARCH_DURATION_BOUNDS.join(', ')} s), got ${threshold}`,
    );
    return undefined;
  }
  return ok
    ? Object.freeze({ metric: 'latency_p95', tolerance, thresholdSeconds: threshold })
    : undefined;
}

function oneOf(
  ctx: YamlContext,
  node: unknown,
  what: string,
  allowed: readonly string[],
): string | undefined {
  const s = ctx.string(node, what);
  if (s === undefined) return undefined;
  if (allowed.includes(s.text)) return s.text;
  ctx.error(s.node, `${what}: ${JSON.stringify(s.text)} is not one of ${allowed.join(', ')}`);
  return undefined;
}

function number(ctx: YamlContext, node: unknown, what: string): number | undefined {
  if (isScalar(node) && typeof node.value === 'number' && Number.isFinite(node.value)) {
    return node.value;
  }
  ctx.error(node as Scalar, `${what} must be a number`);
  return undefined;
}

function count(ctx: YamlContext, node: unknown, what: string, min: number): number | undefined {
  const n = number(ctx, node, what);
  if (n === undefined) return undefined;
  if (Number.isSafeInteger(n) && n >= min) return n;
  ctx.error(node as Scalar, `${what} must be a whole number of at least ${min}, got ${n}`);
  return undefined;
}
