// The JSON the daemon serves about its rules (/api/rules) and itself (/healthz), built from the
// running state by status-snapshot.ts only (the web layer reads the published snapshot).
import type { CanaryDaemon, ReloadStatus, SeriesCheck } from '../engine/canary-daemon.js';
import type { PrometheusWatch } from '../engine/prometheus-watch.js';
import { overallState, type FailingRule, type RuleEngine } from '../engine/rule-engine.js';
import type { StateStore } from '../engine/state-store.js';
import type { AlertingRule, AlertState, RuleHealth, RuleState } from '../types.js';

export interface InstanceView {
  readonly labels: Readonly<Record<string, string>>;
  readonly state: string;
  readonly value: number | null;
  readonly activeAt: string;
  readonly firedAt: string | null;
  readonly resolvedAt: string | null;
}

export interface RuleView {
  readonly name: string;
  readonly group: string;
  readonly file: string;
  readonly state: AlertState;
  readonly health: RuleHealth;
  readonly lastError: string | null;
  readonly lastEvaluation: string | null;
  readonly expr: string;
  readonly forSeconds: number;
  readonly keepFiringForSeconds: number;
  readonly threshold: { readonly op: string; readonly value: number } | null;
  /** The threshold's left side right now (display; null when unknown or no data). */
  readonly value: number | null;
  readonly action: string | null;
  readonly flag: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly instances: readonly InstanceView[];
}

export interface RulesView {
  readonly rules: readonly RuleView[];
  readonly reload: ReloadStatus | null;
  readonly recordedSeries: SeriesCheck;
  readonly dryRun: boolean;
  readonly prometheus: { readonly url: string; readonly consecutiveFailures: number };
}

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
const num = (v: number) => (Number.isFinite(v) ? v : null);

export function buildRulesView(
  d: CanaryDaemon,
  store: StateStore,
  engine: RuleEngine,
  watch: PrometheusWatch,
  extra: { dryRun: boolean; prometheusUrl: string },
): RulesView {
  const rules: RuleView[] = [];
  for (const g of d.groups) {
    for (const r of g.rules) {
      if (r.kind !== 'alert') continue;
      const id = d.ruleIds.get(r) ?? '';
      rules.push(
        ruleView(r, g.name, g.file, store.getRule(id), engine.currentValues.get(id)?.value ?? null),
      );
    }
  }
  rules.push(ruleView(watch.rule, 'canary-daemon', '(daemon)', watch.state(), watch.failures));
  return {
    rules,
    reload: d.lastReload ?? null,
    recordedSeries: d.seriesCheck,
    dryRun: extra.dryRun,
    prometheus: { url: extra.prometheusUrl, consecutiveFailures: watch.failures },
  };
}

function ruleView(
  r: AlertingRule,
  group: string,
  file: string,
  s: RuleState | undefined,
  value: number | null,
): RuleView {
  const instances = [...(s?.instances.values() ?? [])].map((i) => ({
    labels: i.labels,
    state: i.state,
    value: num(i.value),
    activeAt: new Date(i.activeAt).toISOString(),
    firedAt: iso(i.firedAt),
    resolvedAt: iso(i.resolvedAt),
  }));
  const firingValue = instances.find((i) => i.state !== 'resolved')?.value ?? null;
  return {
    name: r.name,
    group,
    file,
    state: overallState(s),
    health: s?.health ?? 'unknown',
    lastError: s?.lastError ?? null,
    lastEvaluation: iso(s?.lastEvaluation),
    expr: r.expr,
    forSeconds: r.forMs / 1000,
    keepFiringForSeconds: r.keepFiringForMs / 1000,
    threshold: r.threshold ? { op: r.threshold.op, value: r.threshold.value } : null,
    value: value ?? firingValue,
    action: r.action ?? null,
    flag: r.flag ?? null,
    labels: r.labels,
    annotations: r.annotations,
    instances,
  };
}

export type HealthView = {
  readonly status: 'ok' | 'degraded';
  readonly prometheus: 'ok' | 'err' | 'unknown';
  readonly lastError: string | null;
  readonly rulesReload: 'ok' | 'failed';
  /** Absent because Prometheus lacks their rules: counts as degraded. */
  readonly missingRecordedSeries: readonly string[];
  /** Absent by design for now (their rules run, e.g. a baseline's first day): not degraded. */
  readonly awaitingRecordedSeries: readonly string[];
  /** `failing` when a rule's query failed several evaluations in a row (it cannot fire). */
  readonly ruleEvaluation: 'ok' | 'failing';
  readonly failingRules: readonly FailingRuleView[];
};

export interface FailingRuleView {
  readonly rule: string;
  readonly group: string;
  readonly consecutiveFailures: number;
  readonly since: string;
  readonly lastError: string;
}

export function buildHealthView(
  d: CanaryDaemon,
  watch: PrometheusWatch,
  engine: RuleEngine,
): HealthView {
  const evaluated = d.lastGroupResults.size > 0;
  const promErr = watch.failures > 0;
  const reloadOk = d.lastReload?.ok ?? true;
  const prometheus = promErr ? 'err' : evaluated ? 'ok' : 'unknown';
  const stuck = engine.stuckRules().map(failingView);
  const degraded = promErr || !reloadOk || d.seriesCheck.missing.length > 0 || stuck.length > 0;
  return {
    status: degraded ? 'degraded' : 'ok',
    prometheus,
    lastError: watch.state().lastError ?? stuck[0]?.lastError ?? null,
    rulesReload: reloadOk ? 'ok' : 'failed',
    missingRecordedSeries: d.seriesCheck.missing,
    awaitingRecordedSeries: d.seriesCheck.awaitingData,
    ruleEvaluation: stuck.length > 0 ? 'failing' : 'ok',
    failingRules: stuck,
  };
}

function failingView(f: FailingRule): FailingRuleView {
  return { ...f, since: new Date(f.since).toISOString() };
}
