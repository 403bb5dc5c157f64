// The daemon's own alert: after N consecutive group evaluations in which every query failed,
// Prometheus is unreachable (or answering garbage) and nobody is being protected. That is logged
// as an ERROR and sent to the dev team as `CanaryPrometheusUnreachable`, through the same runner
// (resend while it lasts, resolved when Prometheus answers again). It never rolls anything back.
//
// It is an ordinary alerting rule run through the one evaluator (evaluator.ts), so pending,
// firing, `for` and resolution follow exactly the code every rule follows: its "query" is the
// daemon's own count of consecutive failed evaluations, which returns one sample (the count) once
// it reaches the threshold, like `canary_consecutive_failed_evaluations >= N` with `for: 0s`.
import type { Logger } from '../../shared/logger.js';
import type { ActionRunner } from '../actions/action-runner.js';
import type { EvaluateFn, GroupResult } from './rule-engine.js';
import type { AlertingRule, QueryResult, RuleState } from '../types.js';

export const UNREACHABLE_ALERT = 'CanaryPrometheusUnreachable';
export const DAEMON_GROUP = 'canary-daemon';
const RULE_ID = `${DAEMON_GROUP}::${UNREACHABLE_ALERT}`;

export class PrometheusWatch {
  /** The synthetic rule as shown on /api/rules (its annotations are filled per evaluation). */
  readonly rule: AlertingRule;
  private consecutive = 0;
  private lastError: string | undefined;
  private ruleState: RuleState | undefined;

  constructor(
    private readonly o: {
      threshold: number;
      runner: ActionRunner;
      logger: Logger;
      prometheusUrl: string;
      evaluate: EvaluateFn;
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
      notify: undefined,
      threshold: undefined,
      pos: { file: '(daemon)', line: 0, col: 0 },
    } as const);
  }

  get failures(): number {
    return this.consecutive;
  }

  /** As shown: the evaluator's instances, with health telling whether Prometheus answers. */
  state(): RuleState {
    return {
      instances: this.ruleState?.instances ?? new Map(),
      health: this.consecutive > 0 ? 'err' : 'ok',
      lastError: this.lastError,
      lastEvaluation: undefined,
    };
  }

  observe(r: GroupResult): void {
    if (r.rules === 0) return;
    if (r.failed < r.rules) {
      this.consecutive = 0;
      this.lastError = undefined;
    } else {
      this.consecutive++;
      this.lastError = r.firstError;
    }
    const result: QueryResult = {
      ok: true,
      samples:
        this.consecutive >= this.o.threshold ? [{ labels: {}, value: this.consecutive }] : [],
    };
    const rule = this.withDescription();
    const outcome = this.o.evaluate(rule, result, r.ts, this.ruleState);
    this.ruleState = outcome.state;
    for (const t of outcome.transitions) {
      if (t.to === 'firing') {
        this.o.logger.error(
          {
            prometheus: this.o.prometheusUrl,
            consecutiveFailures: this.consecutive,
            error: r.firstError,
          },
          `Prometheus unreachable: ${this.consecutive} evaluations in a row failed (${r.firstError}). No rule is being evaluated: no alert can fire and no rollback can happen until it answers again.`,
        );
      } else if (t.to === 'resolved') {
        this.o.logger.info(
          { prometheus: this.o.prometheusUrl },
          'Prometheus answers again; rule evaluation resumed',
        );
      }
    }
    this.o.runner.afterEvaluation(RULE_ID, DAEMON_GROUP, rule, outcome, r.ts);
  }

  /**
   * The rule with this evaluation's annotations. The evaluator expands only text with `{{`: an
   * error text that has one gets `{ {`, so it is shown as it came and never read as a template.
   */
  private withDescription(): AlertingRule {
    const error = (this.lastError ?? 'none').replaceAll('{{', '{ {');
    return {
      ...this.rule,
      annotations: {
        summary:
          'The canary daemon cannot evaluate its rules: Prometheus is unreachable or answers garbage',
        description: `${this.consecutive} consecutive failed evaluations against ${this.o.prometheusUrl}. Last error: ${error}`,
      },
    };
  }
}
