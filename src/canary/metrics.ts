// Every instrument of the daemon, in one place, on its own registry (so several daemons can run in
// one process, as the tests do). Names are shared with the dashboards: see names.md / DESIGN.md.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ACTION_OUTCOMES, type ActionOutcome } from './actions/action.js';
import { ACTIONS, type AlertState } from './types.js';

const RULE_STATES: readonly AlertState[] = ['inactive', 'pending', 'firing'];
export const ROLLOUT_PHASES = ['pending', 'progressing', 'paused', 'succeeded', 'aborted'] as const;
export const GATE_VERDICTS = ['pass', 'blocked', 'failed'] as const;

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly ruleState = new Gauge({
    name: 'canary_rule_state',
    help: '1 for the state each alerting rule is in (its most severe instance), else 0.',
    labelNames: ['rule', 'state'] as const,
    registers: [this.registry],
  });
  readonly evaluationDuration = new Histogram({
    name: 'canary_rule_evaluation_duration_seconds',
    help: 'Time to evaluate one rule group (all its queries and state updates).',
    labelNames: ['group'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly evaluations = new Counter({
    name: 'canary_rule_evaluations_total',
    help: 'Alerting rule evaluations.',
    registers: [this.registry],
  });
  readonly evaluationFailures = new Counter({
    name: 'canary_rule_evaluation_failures_total',
    help: 'Alerting rule evaluations whose query failed (state left unchanged).',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });
  readonly consecutiveFailures = new Gauge({
    name: 'canary_rule_consecutive_failures',
    help: 'Evaluations in a row whose query failed, by alerting rule (0 once it answers): a rule stuck in error is blind, and CanaryRuleEvaluationFailing fires on it.',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });
  readonly missedEvaluations = new Counter({
    name: 'canary_missed_evaluations_total',
    help: 'Group evaluation slots skipped because the previous evaluation overran.',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });
  readonly prometheusErrors = new Counter({
    name: 'canary_prometheus_errors_total',
    help: 'Failed Prometheus queries by kind: error (HTTP/status error, timeout, refused) or garbage (unexpected answer).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly actions = new Counter({
    name: 'canary_actions_total',
    help: 'Actions run by the daemon, by outcome.',
    labelNames: ['action', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly lastSuccessfulEvaluation = new Gauge({
    name: 'canary_last_successful_evaluation_timestamp_seconds',
    help: 'Slot time of the last group evaluation in which Prometheus answered (not every query failed).',
    registers: [this.registry],
  });
  readonly alerts = new Gauge({
    name: 'canary_alerts',
    help: 'Alert instances by rule and state.',
    labelNames: ['rule', 'state'] as const,
    registers: [this.registry],
  });
  readonly reloads = new Counter({
    name: 'canary_rule_reloads_total',
    help: 'Rule reloads by outcome; a failed reload keeps the previous rules.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly lastReloadSuccessful = new Gauge({
    name: 'canary_rule_last_reload_successful',
    help: '1 when the last rule reload succeeded, 0 when the daemon runs on older rules.',
    registers: [this.registry],
  });
  readonly rollbackRetries = new Counter({
    name: 'canary_rollback_failed_attempts_total',
    help: 'Rollback attempts that did not hold (flag store refused, read-back still enabled); the daemon retries until one holds.',
    labelNames: ['flag'] as const,
    registers: [this.registry],
  });
  readonly rollbacksInProgress = new Gauge({
    name: 'canary_rollbacks_in_progress',
    help: 'Rollbacks started and not yet held, by flag: above 0 for long means someone must make the flag file writable.',
    labelNames: ['flag'] as const,
    registers: [this.registry],
  });
  readonly missingSeries = new Gauge({
    name: 'canary_missing_recorded_series',
    help: 'Recorded series the alerts use that Prometheus did not know at the last check.',
    registers: [this.registry],
  });
  // The rollout plan (docs/rollout.md): where it is, and each gate's verdict at the last look.
  readonly rolloutStep = new Gauge({
    name: 'canary_rollout_step',
    help: 'The rollout step in progress or paused (1-based); 0 when no step is (pending, succeeded, aborted).',
    registers: [this.registry],
  });
  readonly rolloutPercentage = new Gauge({
    name: 'canary_rollout_percentage',
    help: "The percentage the rollout's current step serves its segment (0 when no step is).",
    labelNames: ['segment'] as const,
    registers: [this.registry],
  });
  readonly rolloutState = new Gauge({
    name: 'canary_rollout_state',
    help: '1 for the phase the rollout is in (pending, progressing, paused, succeeded, aborted), else 0.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly rolloutHoldRemaining = new Gauge({
    name: 'canary_rollout_hold_remaining_seconds',
    help: "Time left in the current step's hold (0 once it is over or when no step is in progress).",
    registers: [this.registry],
  });
  readonly rolloutGateVerdict = new Gauge({
    name: 'canary_rollout_gate_verdict',
    help: "1 for each gate's verdict (pass, blocked, failed) at the rollout's last look, else 0.",
    labelNames: ['gate', 'verdict'] as const,
    registers: [this.registry],
  });
  readonly rolloutTransitions = new Counter({
    name: 'canary_rollout_transitions_total',
    help: 'Rollout transitions by the phase entered (a promotion is progressing → progressing).',
    labelNames: ['to'] as const,
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'canary_' });
    for (const o of ['success', 'failure'] as const) this.reloads.labels(o).inc(0);
    this.lastReloadSuccessful.set(1);
    for (const kind of ['error', 'garbage']) this.prometheusErrors.labels(kind).inc(0);
    // Present at 0 from start-up, so increase() sees the first rollback too.
    for (const action of ACTIONS)
      for (const outcome of ACTION_OUTCOMES) this.actions.labels(action, outcome).inc(0);
    for (const phase of ROLLOUT_PHASES) this.rolloutTransitions.labels(phase).inc(0);
  }

  /** Sets the one-hot state gauge and the instance counts of a rule. */
  setRuleState(rule: string, state: AlertState, pending: number, firing: number): void {
    for (const s of RULE_STATES) this.ruleState.labels(rule, s).set(s === state ? 1 : 0);
    this.alerts.labels(rule, 'pending').set(pending);
    this.alerts.labels(rule, 'firing').set(firing);
  }

  countAction(action: string, outcome: ActionOutcome): void {
    this.actions.labels(action, outcome).inc();
  }
}
