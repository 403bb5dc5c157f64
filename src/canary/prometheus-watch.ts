// The daemon's own alert: after N consecutive group evaluations in which every query failed,
// Prometheus is unreachable (or answering garbage) and nobody is being protected. That is logged
// as an ERROR and sent to the dev team as `CanaryPrometheusUnreachable`, through the same runner
// (resend while it lasts, resolved when Prometheus answers again). It never rolls anything back.
import type { Logger } from '../shared/logger.js';
import type { ActionRunner } from './action-runner.js';
import type { GroupResult } from './rule-engine.js';
import type { AlertInstance, AlertingRule, RuleState, Transition } from './types.js';

export const UNREACHABLE_ALERT = 'CanaryPrometheusUnreachable';
export const DAEMON_GROUP = 'canary-daemon';

export class PrometheusWatch {
  readonly rule: AlertingRule;
  private consecutive = 0;
  private firstFailureAt: number | undefined;
  private instance: AlertInstance | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly o: {
      threshold: number;
      runner: ActionRunner;
      logger: Logger;
      prometheusUrl: string;
    },
  ) {
    this.rule = Object.freeze({
      kind: 'alert',
      name: UNREACHABLE_ALERT,
      expr: `(daemon) ${o.threshold} consecutive failed evaluations against ${o.prometheusUrl}`,
      forMs: 0,
      keepFiringForMs: 0,
      labels: { severity: 'critical', team: 'dev', action: 'notify_dev_team' },
      annotations: {},
      action: 'notify_dev_team',
      flag: undefined,
      threshold: undefined,
      pos: { file: '(daemon)', line: 0, col: 0 },
    } as const);
  }

  get failures(): number {
    return this.consecutive;
  }

  state(): RuleState {
    const instances = new Map(this.instance ? [[this.instance.key, this.instance]] : []);
    return {
      instances,
      health: this.consecutive > 0 ? 'err' : 'ok',
      lastError: this.lastError,
      lastEvaluation: undefined,
    };
  }

  observe(r: GroupResult): void {
    if (r.rules === 0) return;
    if (r.failed < r.rules) return this.recovered(r.ts);
    this.consecutive++;
    this.firstFailureAt ??= r.ts;
    this.lastError = r.firstError;
    if (this.consecutive < this.o.threshold) return;
    const firing = this.instance?.state === 'firing';
    this.instance = this.makeInstance('firing', r.ts, r.firstError);
    if (!firing) {
      this.o.logger.error(
        {
          prometheus: this.o.prometheusUrl,
          consecutiveFailures: this.consecutive,
          error: r.firstError,
        },
        `Prometheus unreachable: ${this.consecutive} evaluations in a row failed (${r.firstError}). No rule is being evaluated: no alert can fire and no rollback can happen until it answers again.`,
      );
    }
    this.dispatch(r.ts, firing ? [] : [this.transition('inactive', 'firing', r.ts)]);
  }

  private recovered(ts: number): void {
    const wasFiring = this.instance?.state === 'firing';
    this.consecutive = 0;
    this.firstFailureAt = undefined;
    this.lastError = undefined;
    if (!wasFiring) return;
    this.instance = { ...this.makeInstance('resolved', ts, undefined), resolvedAt: ts };
    this.o.logger.info(
      { prometheus: this.o.prometheusUrl },
      'Prometheus answers again; rule evaluation resumed',
    );
    this.dispatch(ts, [this.transition('firing', 'resolved', ts)]);
    this.instance = undefined;
  }

  private dispatch(ts: number, transitions: Transition[]): void {
    const state = this.state();
    this.o.runner.afterEvaluation(
      `${DAEMON_GROUP}::${UNREACHABLE_ALERT}`,
      DAEMON_GROUP,
      this.rule,
      { state, transitions },
      ts,
    );
  }

  private transition(from: Transition['from'], to: Transition['to'], at: number): Transition {
    return {
      rule: UNREACHABLE_ALERT,
      key: this.instance!.key,
      from,
      to,
      instance: this.instance!,
      at,
    };
  }

  private makeInstance(
    state: AlertInstance['state'],
    ts: number,
    error: string | undefined,
  ): AlertInstance {
    const labels = { alertname: UNREACHABLE_ALERT, ...this.rule.labels };
    const prev = this.instance;
    return {
      key: `alertname=${UNREACHABLE_ALERT}`,
      labels,
      annotations: {
        summary:
          'The canary daemon cannot evaluate its rules: Prometheus is unreachable or answers garbage',
        description: `${this.consecutive} consecutive failed evaluations against ${this.o.prometheusUrl}. Last error: ${error ?? this.lastError ?? 'none'}`,
      },
      state,
      value: this.consecutive,
      activeAt: prev?.activeAt ?? this.firstFailureAt ?? ts,
      firedAt: prev?.firedAt ?? ts,
      resolvedAt: undefined,
      lastSeenAt: ts,
      keepFiringSince: undefined,
    };
  }
}
