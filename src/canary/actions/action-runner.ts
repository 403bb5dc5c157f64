// Runs the actions due after each evaluation (decided by action-plan.ts, which `canary backtest`
// shares) off the evaluation path (a rollback retrying for minutes must not stall its group). A rollback runs once per alert
// instance (rule + instance key + activeAt): its mark is saved as `started` before the flag is
// touched and `done` after, so a crash in between makes the restarted daemon finish it (it is
// idempotent) and a crash after never repeats it. Notifications resend while firing and send a
// resolved notice once.
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { ActionRecord } from './action-record.js';
import {
  describeWhy,
  type Action,
  type ActionRequest,
  type ActionResult,
  type AlertEvent,
} from './action.js';
import { actionsDue, type ActionMarks } from './action-plan.js';
import type { DaemonMetrics } from '../metrics.js';
import type { StateStore } from '../engine/state-store.js';
import type { ActionName, AlertInstance, AlertingRule, EvalOutcome } from '../types.js';

export interface ActionRunnerOptions {
  readonly actions: ReadonlyMap<ActionName, Action>;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: DaemonMetrics;
  readonly dryRun: boolean;
  readonly resendDelayMs: number;
  /** Called after each record joins the action log (the status is published again). */
  readonly onRecorded?: () => void;
}

export class ActionRunner {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private seq = 0;

  constructor(private readonly o: ActionRunnerOptions) {}

  /** Starts the actions this evaluation calls for (action-plan.ts); returns at once. */
  afterEvaluation(
    ruleId: string,
    group: string,
    rule: AlertingRule,
    outcome: EvalOutcome,
    ts: number,
  ): void {
    if (!rule.action || this.abort.signal.aborted || !this.o.actions.has(rule.action)) return;
    const { store, dryRun } = this.o;
    const marks: ActionMarks = {
      // Done is done. A dry run records an instance once; a real run after a dry run still acts.
      rollbackDone: (key) => {
        const mark = store.getRollback(key);
        return mark?.status === 'done' || (dryRun && mark !== undefined);
      },
      notified: (key) => store.getNotified(`${ruleId}|${key}`),
    };
    for (const step of actionsDue(rule, outcome, ts, marks, this.o.resendDelayMs)) {
      const action = this.o.actions.get(step.action);
      if (!action) continue;
      if (step.kind === 'rollback') this.rollback(action, step.key, group, rule, step.instance, ts);
      else if (step.event === 'resolved')
        this.notifyResolved(action, ruleId, group, rule, step.instance, ts);
      else this.notify(action, step.event, ruleId, group, rule, step.instance, ts);
    }
  }

  /** Resolves when every running action has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Stops retries and waits for running actions to settle. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.idle();
  }

  private track(key: string, work: () => Promise<void>): void {
    if (this.inFlight.has(key)) return;
    const p = work()
      .catch((err: unknown) => this.o.logger.error({ err, key }, 'action bookkeeping failed'))
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
  }

  private rollback(
    action: Action,
    key: string,
    group: string,
    rule: AlertingRule,
    inst: AlertInstance,
    ts: number,
  ): void {
    const mark = this.o.store.getRollback(key);
    this.track(key, async () => {
      const { store, clock } = this.o;
      const startedAt = mark?.startedAt ?? new Date(clock.now()).toISOString();
      if (!this.o.dryRun) {
        store.setRollback({ key, rule: rule.name, status: 'started', startedAt });
        // Turning the flag off is the safe side: an unwritable state file must not stop it.
        await store
          .save()
          .catch((err: unknown) =>
            this.o.logger.error(
              { err, path: store.path },
              `cannot record the rollback in ${store.path}; rolling back anyway`,
            ),
          );
      }
      const req = {
        event: 'firing' as const,
        rule,
        group,
        instance: inst,
        at: ts,
        signal: this.abort.signal,
      };
      const result = await this.execute(action, req);
      // `skipped` here is "already off" (another daemon won the conditional write): done too.
      if (result.outcome !== 'failure') {
        const status = result.outcome === 'dry_run' ? 'dry_run' : 'done';
        store.setRollback({
          key,
          rule: rule.name,
          status,
          startedAt,
          finishedAt: new Date(clock.now()).toISOString(),
          detail: result.detail,
        });
      }
      await store
        .save()
        .catch((err: unknown) =>
          this.o.logger.error(
            { err, path: store.path },
            `cannot record the rollback in ${store.path}: a restart may repeat it (it is idempotent)`,
          ),
        );
    });
  }

  private notify(
    action: Action,
    event: AlertEvent,
    ruleId: string,
    group: string,
    rule: AlertingRule,
    inst: AlertInstance,
    ts: number,
  ): void {
    const key = `${ruleId}|${inst.key}`;
    this.track(key, async () => {
      const req = { event, rule, group, instance: inst, at: ts, signal: this.abort.signal };
      const result = await this.execute(action, req);
      if (result.outcome !== 'failure')
        this.o.store.setNotified(key, { ruleId, activeAt: inst.activeAt, lastSentAt: ts });
    });
  }

  private notifyResolved(
    action: Action,
    ruleId: string,
    group: string,
    rule: AlertingRule,
    inst: AlertInstance,
    ts: number,
  ): void {
    const key = `${ruleId}|${inst.key}`;
    this.o.store.setNotified(key, undefined);
    this.track(`${key}|resolved`, async () => {
      await this.execute(action, {
        event: 'resolved',
        rule,
        group,
        instance: inst,
        at: ts,
        signal: this.abort.signal,
      });
    });
  }

  /** Performs (or, in a dry run, describes) the action, then counts, records and logs it. */
  private async execute(action: Action, req: ActionRequest): Promise<ActionResult> {
    const result: ActionResult = this.o.dryRun
      ? { outcome: 'dry_run', detail: `dry run: would ${action.describe(req)}`, attempts: 0 }
      : await action.perform(req).catch((err: unknown) => ({
          outcome: 'failure' as const,
          detail: String(err),
          attempts: 1,
        }));
    this.o.metrics.countAction(action.name, result.outcome);
    const record = this.toRecord(action, req, result);
    const quietResend =
      req.event === 'resend' && (result.outcome === 'success' || result.outcome === 'dry_run');
    if (!quietResend) {
      this.o.store.actions.push(record);
      this.o.onRecorded?.();
    }
    this.log(record, quietResend);
    return result;
  }

  private toRecord(action: Action, req: ActionRequest, result: ActionResult): ActionRecord {
    const { rule, instance } = req;
    return {
      id: `${this.o.clock.now()}-${++this.seq}`,
      time: new Date(this.o.clock.now()).toISOString(),
      action: action.name,
      event: req.event,
      outcome: result.outcome,
      detail: result.detail,
      reason: describeWhy(rule, instance),
      rule: rule.name,
      group: req.group,
      expr: rule.expr,
      value: Number.isFinite(instance.value) ? instance.value : null,
      threshold: rule.threshold ? `${rule.threshold.op} ${rule.threshold.value}` : null,
      forSeconds: rule.forMs / 1000,
      activeAt: new Date(instance.activeAt).toISOString(),
      labels: instance.labels,
      attempts: result.attempts,
    };
  }

  private log(r: ActionRecord, quiet: boolean): void {
    const msg = `action ${r.action} (${r.event}) ${r.outcome}: ${r.detail} — because ${r.reason}`;
    const fields = {
      action: r.action,
      event: r.event,
      outcome: r.outcome,
      rule: r.rule,
      value: r.value,
      threshold: r.threshold,
      for: r.forSeconds,
      activeAt: r.activeAt,
      labels: r.labels,
    };
    if (quiet) this.o.logger.debug(fields, msg);
    else if (r.outcome === 'failure') this.o.logger.error(fields, msg);
    else if (r.outcome === 'skipped') this.o.logger.warn(fields, msg);
    else this.o.logger.info(fields, msg);
  }
}
