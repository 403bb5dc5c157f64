// The canary daemon's domain types: the contract between the rule loader, the pure evaluator and
// the daemon's shell (scheduler, Prometheus client, actions, state file, HTTP).

/** Where a piece of YAML came from, for `file:line:col: message` errors. */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** The guide's actions, chosen by the `action` label of an alerting rule. */
export const ACTIONS = ['immediate_rollback', 'notify_dev_team', 'notify_product_team'] as const;
export type ActionName = (typeof ACTIONS)[number];

/** The actions that tell people; a rollback rule names one in its `notify` label (or `none`). */
export const NOTIFY_ACTIONS = ['notify_dev_team', 'notify_product_team'] as const;
export type NotifyAction = (typeof NOTIFY_ACTIONS)[number];
/** Who hears of a rollback when its rule has no `notify` label (docs/rules.md). */
export const DEFAULT_ROLLBACK_NOTIFY: NotifyAction = 'notify_dev_team';

/** Who a notify action reaches (the `team` label a notification carries when the rule sets none). */
export const TEAMS = ['dev_team', 'product_team'] as const;
export type Team = (typeof TEAMS)[number];

/** `expr` split at its top-level comparison, when it has one (`lhs > 0.1`), for showing a rule's value against its threshold. */
export interface Threshold {
  readonly lhs: string;
  readonly op: '>' | '>=' | '<' | '<=' | '==' | '!=';
  readonly value: number;
  /**
   * The `and`/`unless` guards right of the comparison, in the order PromQL applies them, when the
   * whole expression is exactly `lhs op value` followed by them: then the daemon queries the parts
   * and applies the comparison and guards itself (rule-query.ts). Undefined when it is not.
   */
  readonly guards?: readonly SetGuard[];
}

/** `and on(job) <expr>` / `unless ignoring(x) <expr>` / `and <expr>`, right of a threshold. */
export interface SetGuard {
  readonly op: 'and' | 'unless';
  /** `on(…)` or `ignoring(…)`; undefined matches every label but the metric name. */
  readonly matching: { readonly on: boolean; readonly labels: readonly string[] } | undefined;
  readonly expr: string;
}

export interface AlertingRule {
  readonly kind: 'alert';
  readonly name: string;
  readonly expr: string;
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** From the `action` label; undefined when the rule has none (it is then only shown). */
  readonly action: ActionName | undefined;
  /** The flag an `immediate_rollback` turns off (from the `flag` label). */
  readonly flag: string | undefined;
  /**
   * For an `immediate_rollback`: the notify action that tells people about it (the `notify`
   * label; DEFAULT_ROLLBACK_NOTIFY when the rule has none, undefined for `notify: none`).
   * Undefined for every other rule (a notify_* action notifies by itself).
   */
  readonly notify: NotifyAction | undefined;
  readonly threshold: Threshold | undefined;
  /**
   * What the daemon queries when it differs from `expr`/`threshold` (recorded series inlined by
   * `--inline-recorded`); `expr` stays what is shown and audited.
   */
  readonly query?: { readonly expr: string; readonly threshold: Threshold | undefined };
  readonly pos: SourcePos;
}

export interface RecordingRule {
  readonly kind: 'record';
  readonly name: string;
  readonly expr: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly pos: SourcePos;
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
  readonly name: string;
  readonly file: string;
  /** Evaluation interval; the daemon's `--interval` when the group sets none. */
  readonly intervalMs: number;
  readonly rules: readonly Rule[];
}

/** One instant-vector sample as Prometheus returns it. */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The outcome of one query, with "no data" and "error" kept apart. */
export type QueryResult =
  | { readonly ok: true; readonly samples: readonly Sample[] }
  | { readonly ok: false; readonly error: string };

export type AlertState = 'inactive' | 'pending' | 'firing';

/** One alert instance: one label set of one rule, as Prometheus keeps it. */
export interface AlertInstance {
  /** Canonical key of `labels` (sorted name=value pairs). */
  readonly key: string;
  /** The series' labels plus the rule's labels (the rule's win), with `alertname`. */
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly state: Exclude<AlertState, 'inactive'> | 'resolved';
  readonly value: number;
  readonly activeAt: number;
  readonly firedAt: number | undefined;
  readonly resolvedAt: number | undefined;
  /** Last evaluation at which the expression returned this label set. */
  readonly lastSeenAt: number;
  /** Set while `keep_firing_for` holds a firing alert whose expression no longer returns it. */
  readonly keepFiringSince: number | undefined;
}

export type RuleHealth = 'unknown' | 'ok' | 'err';

/** Everything the evaluator remembers about one alerting rule between evaluations. */
export interface RuleState {
  readonly instances: ReadonlyMap<string, AlertInstance>;
  readonly health: RuleHealth;
  readonly lastError: string | undefined;
  readonly lastEvaluation: number | undefined;
}

/** A change of an instance's state in one evaluation: what actions and notifications react to. */
export interface Transition {
  readonly rule: string;
  readonly key: string;
  readonly from: AlertState | 'resolved';
  readonly to: AlertState | 'resolved';
  readonly instance: AlertInstance;
  readonly at: number;
}

export interface EvalOutcome {
  readonly state: RuleState;
  readonly transitions: readonly Transition[];
}
