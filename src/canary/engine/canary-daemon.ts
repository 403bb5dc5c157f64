// The daemon's running core: the loaded rule groups, one aligned timer per group, reloads that
// keep the last good rules when new ones are broken, and the start-up check of recorded series.
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { AlignedTimer, groupSlotOffset } from './aligned-timer.js';
import type { ActionRunner } from '../actions/action-runner.js';
import type { DaemonMetrics } from '../metrics.js';
import type { PrometheusClient } from '../prometheus/prometheus-client.js';
import { DAEMON_GROUP, type PrometheusWatch } from './prometheus-watch.js';
import { identifyRules } from './rule-identity.js';
import type { GroupResult, RuleEngine } from './rule-engine.js';
import { formatLoadError, recordedSeriesUsed, type LoadRulesFn } from './rule-source.js';
import type { StateStore } from './state-store.js';
import type { AlertingRule, RuleGroup } from '../types.js';

const SERIES_RECHECK_MS = 60_000;

export type ReloadResult =
  | { readonly ok: true; readonly groups: number; readonly rules: number; readonly files: string[] }
  | { readonly ok: false; readonly errors: string[] };

/** The rule files are invalid at start-up, when there are no previous rules to keep. */
export class RuleFilesInvalidError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(`the rule files are invalid:\n${errors.join('\n')}`);
    this.name = 'RuleFilesInvalidError';
  }
}

export interface ReloadStatus {
  readonly ok: boolean;
  readonly at: number;
  readonly trigger: string;
  readonly errors: readonly string[];
}

export interface SeriesCheck {
  readonly checked: boolean;
  /** Recorded series the alerts use that Prometheus lacks because their rules are not loaded. */
  readonly missing: readonly string[];
  /** Recorded series with no data yet although their rule runs: expected, not a fault. */
  readonly awaitingData: readonly string[];
  readonly error: string | undefined;
}

export interface CanaryDaemonOptions {
  readonly ruleFiles: readonly string[];
  readonly defaultIntervalMs: number;
  readonly loadRules: LoadRulesFn;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: DaemonMetrics;
  readonly store: StateStore;
  readonly engine: RuleEngine;
  readonly runner: ActionRunner;
  readonly watch: PrometheusWatch;
  readonly prometheus: PrometheusClient;
  /** Called once an evaluation's or reload's state is settled (and after a series check): publish the status. */
  readonly onSettled?: () => void;
}

export class CanaryDaemon {
  groups: readonly RuleGroup[] = [];
  /** Each loaded alerting rule's state id (rule-identity.ts): a reload keeps the state of an id it still has. */
  ruleIds: ReadonlyMap<AlertingRule, string> = new Map();
  lastReload: ReloadStatus | undefined;
  seriesCheck: SeriesCheck = { checked: false, missing: [], awaitingData: [], error: undefined };
  readonly lastGroupResults = new Map<string, GroupResult>();
  private timers: AlignedTimer[] = [];
  private reloading: Promise<ReloadResult> = Promise.resolve({ ok: false, errors: [] });
  private stopped = false;
  private seriesCheckedAt = 0;

  constructor(private readonly o: CanaryDaemonOptions) {}

  /** Loads the rules and starts evaluating; a broken file at start-up is an error (nothing to keep). */
  async start(): Promise<ReloadResult> {
    const r = await this.reload('start');
    if (!r.ok) throw new RuleFilesInvalidError(r.errors);
    return r;
  }

  /** Loads the rule files again; serialized, and a broken load keeps the running rules. */
  reload(trigger: string): Promise<ReloadResult> {
    const next = this.reloading.then(async () => {
      const r = await this.reloadNow(trigger);
      this.o.onSettled?.();
      return r;
    });
    this.reloading = next.catch((err: unknown) => ({ ok: false as const, errors: [String(err)] }));
    return next;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.reloading.catch(() => undefined);
    await Promise.all(this.timers.map((t) => t.stop()));
    this.timers = [];
  }

  private async reloadNow(trigger: string): Promise<ReloadResult> {
    if (this.stopped) return { ok: false, errors: ['the daemon is stopping'] };
    const { logger, metrics } = this.o;
    const loaded = await this.o.loadRules([...this.o.ruleFiles], {
      defaultIntervalMs: this.o.defaultIntervalMs,
    });
    if (!loaded.ok) {
      const errors = loaded.errors.map(formatLoadError);
      this.lastReload = { ok: false, at: this.o.clock.now(), trigger, errors };
      metrics.reloads.labels('failure').inc();
      metrics.lastReloadSuccessful.set(0);
      const kept =
        this.timers.length === 0
          ? 'there are no previous rules to keep'
          : 'the previous rules keep running';
      logger.error(
        { trigger, errors },
        `rule load (${trigger}) failed; ${kept}:\n${errors.join('\n')}`,
      );
      return { ok: false, errors };
    }
    await Promise.all(this.timers.map((t) => t.stop()));
    this.groups = loaded.groups;
    // Per-rule gauges start over, so rules a reload removed do not linger on /metrics.
    metrics.ruleState.reset();
    metrics.alerts.reset();
    this.ruleIds = new Map(identifyRules(loaded.groups).map((k) => [k.rule, k.id]));
    const ids = new Set(this.ruleIds.values());
    this.o.store.retainRules(ids, (id) => id.startsWith(`${DAEMON_GROUP}::`));
    this.o.engine.retainValues(ids);
    this.timers = loaded.groups.map((g) => this.startTimer(g));
    this.lastReload = { ok: true, at: this.o.clock.now(), trigger, errors: [] };
    metrics.reloads.labels('success').inc();
    metrics.lastReloadSuccessful.set(1);
    const rules = loaded.groups.reduce(
      (n, g) => n + g.rules.filter((r) => r.kind === 'alert').length,
      0,
    );
    logger.info(
      { trigger, groups: loaded.groups.length, alertingRules: rules, files: loaded.files },
      `rules loaded (${trigger}): ${rules} alerting rules in ${loaded.groups.length} groups`,
    );
    await this.checkRecordedSeries(true);
    return { ok: true, groups: loaded.groups.length, rules, files: loaded.files };
  }

  private startTimer(group: RuleGroup): AlignedTimer {
    const timer = new AlignedTimer({
      clock: this.o.clock,
      intervalMs: group.intervalMs,
      offsetMs: groupSlotOffset(group),
      run: (ts) => this.evaluate(group, ts),
      onMissed: (n) => {
        this.o.metrics.missedEvaluations.labels(group.name).inc(n);
        this.o.logger.warn(
          { group: group.name, missed: n },
          `group ${group.name}: evaluation overran its interval, ${n} slot(s) skipped`,
        );
      },
      onError: (err) =>
        this.o.logger.error(
          { err, group: group.name },
          `group ${group.name}: evaluation failed unexpectedly`,
        ),
    });
    timer.start();
    return timer;
  }

  private async evaluate(group: RuleGroup, ts: number): Promise<void> {
    const ids = this.ruleIds;
    const r = await this.o.engine.evaluateGroup(
      group,
      ts,
      (rule) => ids.get(rule) ?? `${group.name}/${rule.name}`,
    );
    this.lastGroupResults.set(`${group.file}::${group.name}`, r);
    this.o.watch.observe(r);
    this.o.onSettled?.();
    // Persist before anything else that waits on the network, so a crash right after an
    // evaluation loses as little `for` progress as possible.
    await this.o.store
      .save()
      .catch((err: unknown) =>
        this.o.logger.error(
          { err, path: this.o.store.path },
          `cannot write the state file ${this.o.store.path}: a restart would lose alert progress`,
        ),
      );
    // Until every recorded series is known (Prometheus may have just started), look again each minute.
    const { checked, missing, awaitingData } = this.seriesCheck;
    const recheck = !checked || missing.length > 0 || awaitingData.length > 0;
    if (
      recheck &&
      r.failed < r.rules &&
      this.o.clock.now() - this.seriesCheckedAt >= SERIES_RECHECK_MS
    ) {
      await this.checkRecordedSeries();
      this.o.onSettled?.();
    }
  }

  /** Warns loudly when Prometheus lacks recorded series the alerts use (rules not loaded there?). */
  async checkRecordedSeries(announce = false): Promise<void> {
    const names = recordedSeriesUsed(this.groups);
    this.seriesCheckedAt = this.o.clock.now();
    const r = await this.o.prometheus.knownSeries(names);
    const before = this.seriesCheck;
    if (!r.ok) {
      this.seriesCheck = { checked: false, missing: [], awaitingData: [], error: r.error };
      if (before.error !== undefined) return; // said once; Prometheus errors are reported per rule
      this.o.logger.warn(
        { error: r.error },
        `could not check that Prometheus knows the recorded series the alerts use; will retry: ${r.error}`,
      );
      return;
    }
    this.seriesCheck = {
      checked: true,
      missing: r.missing,
      awaitingData: r.awaitingData,
      error: undefined,
    };
    this.o.metrics.missingSeries.set(r.missing.length);
    if (r.missing.length === 0 && before.missing.length > 0) {
      this.o.logger.info(
        { prometheus: this.o.prometheus.url },
        'Prometheus now has every recorded series the alerts use',
      );
    }
    if (r.missing.length > 0 && (announce || r.missing.join() !== before.missing.join())) {
      this.o.logger.warn(
        { missing: r.missing, prometheus: this.o.prometheus.url },
        `Prometheus at ${this.o.prometheus.url} has no data for recorded series the alerts use: ${r.missing.join(', ')}. Alerts on them cannot fire: load the same rule files into Prometheus (rule_files in prometheus.yml) and check its recording rules.`,
      );
    }
  }
}
