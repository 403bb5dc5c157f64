// The daemon's thin shell around the rollout's pure core (src/rollout): every look it gathers
// the observations (the flag and its last audit entry, the daemon's active alerts, the cohorts
// from Prometheus), asks `decidePromotion` what to do, performs the actions through the flag store
// (the same path as the rollback) with the core's reason in the audit log, and only then persists
// the new state. A person's command goes through `applyCommand` the same way. Looks and commands
// are serialized, so a `pause` never interleaves with a promotion. Only the leader acts.
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { FlagStore, RolloutSpec } from '../../flags/types.js';
import { DAEMON_ACTOR } from '../actions/immediate-rollback.js';
import type { GateReport } from '../../rollout/gates.js';
import { loadPlanFile } from '../../rollout/load-plan.js';
import { formatRuleError } from '../rules/yaml-context.js';
import { scalePlan, type RolloutPlan } from '../../rollout/plan.js';
import { decidePromotion } from '../../rollout/promotion.js';
import { applyCommand, type RolloutCommand } from '../../rollout/rollout-commands.js';
import { INITIAL_ROLLOUT_STATE } from '../../rollout/rollout-state.js';
import type {
  PromotionOutcome,
  RolloutAction,
  RolloutObservations,
} from '../../rollout/rollout-state.js';
import type { DaemonMetrics } from '../metrics.js';
import type { PrometheusClient } from '../prometheus/prometheus-client.js';
import type { ActiveAlert } from '../../rollout/gates.js';
import { observeCohorts } from './cohort-queries.js';
import type { Leadership } from './leadership.js';
import type { PlanRef, RolloutRecord, RolloutStore, TimelineEntry } from './rollout-store.js';
import { publishRolloutMetrics, type LastLook, type RolloutView } from './rollout-view.js';

/** Who the plan's flag writes are by, in the audit log (the rollback is `canary-daemon`). */
export const ROLLOUT_ACTOR = 'canary-rollout';

export interface RolloutDriverOptions {
  readonly store: RolloutStore;
  readonly flags: FlagStore;
  readonly prometheus: PrometheusClient;
  readonly alerts: () => readonly ActiveAlert[];
  readonly leadership: Leadership;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: DaemonMetrics;
  readonly intervalMs: number;
  /** The plan `canary rollout start` runs when it names none (`--rollout-plan`). */
  readonly defaultPlanFile: string | undefined;
  /** Dry run: the daemon writes no flag, so no rollout can run (commands are refused). */
  readonly dryRun: boolean;
  /** After every look and command: the daemon publishes a new status snapshot (its `rollout`). */
  readonly onPublished?: () => void;
}

export interface StartOptions {
  readonly planFile?: string;
  readonly timeScale?: number;
}

export type CommandResult =
  | { readonly ok: true; readonly view: RolloutView }
  | { readonly ok: false; readonly status: 400 | 409 | 503; readonly error: string };

export class RolloutDriver {
  private plan: { ref: PlanRef; plan: RolloutPlan } | undefined;
  private planError: string | undefined;
  private lastLook: LastLook | undefined;
  private leader = true;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly o: RolloutDriverOptions) {}

  /** Loads the persisted rollout's plan and starts looking every interval. */
  async start(): Promise<void> {
    const ref = this.o.store.get().plan;
    if (ref) await this.loadPlan(ref);
    this.publish();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await this.queue.catch(() => undefined);
  }

  /** The rollout as of now: the status snapshot's `rollout` (page, API, CLI) and the metrics. */
  view(): RolloutView {
    const rec = this.o.store.get();
    const now = this.o.clock.now();
    const s = rec.state;
    return {
      now,
      leader: this.leader,
      leadership: this.o.leadership.describe(),
      planRef: rec.plan,
      plan: this.plan?.plan,
      planError: this.planError,
      state: s,
      holdLeftMs:
        s.phase === 'progressing'
          ? Math.max(0, s.holdUntil - now)
          : s.phase === 'paused'
            ? s.holdLeftMs
            : undefined,
      lastLook: this.lastLook,
      timeline: rec.timeline,
    };
  }

  /** A person's command, serialized with the looks. */
  command(cmd: RolloutCommand, actor: string, opts: StartOptions = {}): Promise<CommandResult> {
    return this.serialize(() => this.commandNow(cmd, actor, opts));
  }

  /** One look now (the loop calls it every interval; tests call it directly). */
  look(): Promise<void> {
    return this.serialize(() => this.lookNow());
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      await this.look().catch((err: unknown) =>
        this.o.logger.error({ err }, 'rollout look failed unexpectedly; retrying next interval'),
      );
      await this.o.clock.sleep(this.o.intervalMs, signal);
    }
  }

  private async lookNow(): Promise<void> {
    this.leader = await this.o.leadership.isLeader();
    const rec = this.o.store.get();
    if (!this.leader || rec.state.phase !== 'progressing' || !this.plan) return this.publish();
    const now = this.o.clock.now();
    const obs = await this.observe(this.plan.plan, rec.state.stepStartedAt, now);
    const out = decidePromotion(this.plan.plan, rec.state, obs.observations, now);
    const sample = obs.observations.sample;
    this.lastLook = { at: now, gates: out.gates, sample, error: obs.error };
    await this.commit(rec, out, sample);
  }

  private async commandNow(
    cmd: RolloutCommand,
    actor: string,
    opts: StartOptions,
  ): Promise<CommandResult> {
    if (this.o.dryRun) {
      return {
        ok: false,
        status: 409,
        error: 'the daemon runs --dry-run: it writes no flag, so it runs no rollout',
      };
    }
    if (!(await this.o.leadership.isLeader())) {
      return { ok: false, status: 503, error: 'this daemon is not the leader; ask the leader' };
    }
    let rec = this.o.store.get();
    if (cmd === 'start') {
      const file = opts.planFile ?? rec.plan?.file ?? this.o.defaultPlanFile;
      if (file === undefined) {
        return { ok: false, status: 400, error: 'no plan: start the daemon with --rollout-plan' };
      }
      const running = rec.state.phase === 'progressing' || rec.state.phase === 'paused';
      if (running) {
        return { ok: false, status: 409, error: `a rollout is already ${rec.state.phase}` };
      }
      const loaded = await this.loadPlan({ file, timeScale: opts.timeScale ?? 1 });
      if (!loaded) return { ok: false, status: 400, error: this.planError ?? 'invalid plan' };
      // A finished rollout (succeeded or aborted) may be run again: start from Pending.
      rec = { ...rec, plan: this.plan!.ref, state: INITIAL_ROLLOUT_STATE };
    }
    if (!this.plan) {
      return { ok: false, status: 409, error: this.planError ?? 'no rollout has been started' };
    }
    const flag = await this.readFlag(this.plan.plan.flag);
    const out = applyCommand(this.plan.plan, rec.state, cmd, this.o.clock.now(), actor, flag);
    if (!out.ok) return { ok: false, status: 409, error: out.error };
    const done = await this.commit(rec, out);
    if (!done) return { ok: false, status: 503, error: 'the flag store refused the write' };
    return { ok: true, view: this.view() };
  }

  /** Performs the actions, then persists: a failed flag write leaves the state as it was. */
  private async commit(
    rec: RolloutRecord,
    out: PromotionOutcome,
    sample?: TimelineEntry['sample'],
  ): Promise<boolean> {
    const plan = this.plan!.plan;
    for (const action of out.actions) {
      if (!(await this.perform(plan, action, out.gates))) {
        this.publish();
        return false;
      }
    }
    if (out.state !== rec.state || out.transitions.length > 0) {
      const entries = out.transitions.map((t) => ({
        ...t,
        gates: out.gates,
        ...(sample ? { sample } : {}),
      }));
      await this.o.store
        .set({ plan: this.plan!.ref, state: out.state, timeline: [...rec.timeline, ...entries] })
        .catch((err: unknown) =>
          this.o.logger.error(
            { err, path: this.o.store.path },
            `cannot write the rollout state file ${this.o.store.path}: a restart would lose the rollout's progress`,
          ),
        );
      for (const t of out.transitions) {
        this.o.metrics.rolloutTransitions.labels(t.to).inc();
        const level = t.to === 'aborted' || t.to === 'paused' ? 'warn' : 'info';
        this.o.logger[level]({ from: t.from, to: t.to, step: t.step }, `rollout: ${t.reason}`);
      }
    }
    this.publish();
    return true;
  }

  private async perform(
    plan: RolloutPlan,
    a: RolloutAction,
    gates: readonly GateReport[],
  ): Promise<boolean> {
    if (a.kind === 'notify') {
      this.o.logger.warn({ flag: plan.flag }, `rollout: ${a.reason}`);
      return true;
    }
    const change =
      a.kind === 'rollback'
        ? { flag: plan.flag, value: false }
        : {
            flag: plan.flag,
            value: true,
            percentage: a.percentage,
            ...(a.segment === 'default' ? {} : { segment: a.segment }),
          };
    const context = { gates: gates.map((g) => ({ ...g })) };
    const r = await this.o.flags.update(change, {
      actor: ROLLOUT_ACTOR,
      reason: a.reason,
      context,
    });
    if (r.ok) return true;
    this.o.logger.error(
      { flag: plan.flag, error: r.error, action: a.kind },
      `rollout could not write flag ${plan.flag} (${r.error}); nothing moved, retrying next look`,
    );
    return false;
  }

  private async observe(
    plan: RolloutPlan,
    stepStartedAt: number,
    now: number,
  ): Promise<{ observations: RolloutObservations; error: string | undefined }> {
    const [flag, rolledBack, cohorts] = await Promise.all([
      this.readFlag(plan.flag),
      this.lastRollback(plan.flag),
      observeCohorts(this.o.prometheus, stepStartedAt, now),
    ]);
    const base = { flag, alerts: this.o.alerts(), ...(rolledBack ? { rolledBack } : {}) };
    if (!cohorts.ok) {
      const observations = { ...base, sample: { searches: 0, users: 0 }, cohorts: {} };
      return { observations, error: cohorts.error };
    }
    return {
      observations: { ...base, sample: cohorts.sample, cohorts: cohorts.cohorts },
      error: undefined,
    };
  }

  private async readFlag(flag: string): Promise<RolloutSpec | undefined> {
    try {
      return await this.o.flags.getRollout(flag);
    } catch (err) {
      this.o.logger.warn({ flag, error: (err as Error).message }, 'rollout cannot read the flag');
      return undefined;
    }
  }

  /** The reason of the flag's last change when it was the daemon's automatic rollback. */
  private async lastRollback(flag: string): Promise<string | undefined> {
    try {
      const [last] = await this.o.flags.history({ flag, limit: 1 });
      return last && last.actor === DAEMON_ACTOR && !last.after.enabled ? last.reason : undefined;
    } catch {
      return undefined;
    }
  }

  private async loadPlan(ref: PlanRef): Promise<boolean> {
    const loaded = await loadPlanFile(ref.file);
    if (!loaded.ok) {
      this.planError = `rollout plan ${ref.file} is invalid:\n${loaded.errors.map(formatRuleError).join('\n')}`;
      this.o.logger.error({ plan: ref.file }, this.planError);
      return false;
    }
    const scaled = scalePlan(loaded.plan, ref.timeScale);
    if (!scaled.ok) {
      this.planError = scaled.error;
      return false;
    }
    this.plan = { ref, plan: scaled.plan };
    this.planError = undefined;
    return true;
  }

  private publish(): void {
    publishRolloutMetrics(this.o.metrics, this.view());
    this.o.onPublished?.();
  }
}
