// The rollout's state, what one look or command returns, and the moves both share (enter a step,
// write it, pause, abort). Pure: no clock, network or disk.
import { SEGMENTS } from '../flags/types.js';
import type { RolloutSpec, Segment } from '../flags/types.js';
import type { ActiveAlert, CohortPair, GateReport } from './gates.js';
import { flagPercentageKey } from './plan.js';
import type { GuardedMetric, RolloutPlan } from './plan.js';

export type RolloutState =
  | { readonly phase: 'pending' }
  | {
      readonly phase: 'progressing';
      readonly step: number;
      readonly stepStartedAt: number;
      readonly holdUntil: number;
      /** The flag as the plan's last write left it: anything else is a person's change. */
      readonly wrote: RolloutSpec;
      /** Set once the hold ran out short of the minimum sample, so that is said only once. */
      readonly extended: boolean;
      /** Set once a failed gate under `notify` was announced in this step. */
      readonly notified: boolean;
    }
  | {
      readonly phase: 'paused';
      readonly step: number;
      readonly stepStartedAt: number;
      /** What was left of the hold when it paused; a resume gives it back. */
      readonly holdLeftMs: number;
      readonly wrote: RolloutSpec;
      readonly reason: string;
    }
  | { readonly phase: 'succeeded'; readonly at: number }
  | {
      readonly phase: 'aborted';
      readonly step: number;
      readonly at: number;
      readonly reason: string;
    };

export type RolloutPhase = RolloutState['phase'];

export interface RolloutObservations {
  /** The flag as the store holds it now; undefined when it could not be read. */
  readonly flag: RolloutSpec | undefined;
  readonly alerts: readonly ActiveAlert[];
  /** AI searches and distinct users in the flag-on cohort since the step started. */
  readonly sample: { readonly searches: number; readonly users: number };
  readonly cohorts: Readonly<Partial<Record<GuardedMetric, CohortPair>>>;
  /**
   * Set (to its reason) when the flag's last change was an automatic rollback (the daemon's kill
   * switch): the rollout then aborts instead of pausing as it does for a person's change.
   */
  readonly rolledBack?: string;
}

/** What the shell must do, each with the reason that goes into the flag's audit log. */
export type RolloutAction =
  | {
      readonly kind: 'write-flag';
      readonly segment: Segment | 'default';
      readonly percentage: number;
      readonly reason: string;
    }
  | { readonly kind: 'rollback'; readonly reason: string }
  | { readonly kind: 'notify'; readonly reason: string };

export interface RolloutTransition {
  readonly from: RolloutPhase;
  readonly to: RolloutPhase;
  /** The step after the transition (the step stopped at, for aborted and paused). */
  readonly step: number | undefined;
  readonly at: number;
  readonly reason: string;
}

export interface PromotionOutcome {
  readonly state: RolloutState;
  readonly transitions: readonly RolloutTransition[];
  readonly actions: readonly RolloutAction[];
  /** The verdict of every gate at this look (empty when no step is in progress). */
  readonly gates: readonly GateReport[];
}

export const INITIAL_ROLLOUT_STATE: RolloutState = Object.freeze({ phase: 'pending' });

export function enter(
  plan: RolloutPlan,
  step: number,
  now: number,
  flag: RolloutSpec,
): RolloutState {
  return {
    phase: 'progressing',
    step,
    stepStartedAt: now,
    holdUntil: now + (plan.steps[step]?.holdMs ?? 0),
    wrote: afterWrite(plan, step, flag),
    extended: false,
    notified: false,
  };
}

export function writeStep(plan: RolloutPlan, step: number, reason: string): RolloutAction {
  const s = plan.steps[step]!;
  return {
    kind: 'write-flag',
    segment: flagPercentageKey(s.segment),
    percentage: s.percentage,
    reason,
  };
}

/** The flag once the step's percentage is written into it (a write also switches it on). */
export function afterWrite(plan: RolloutPlan, step: number, flag: RolloutSpec): RolloutSpec {
  const s = plan.steps[step]!;
  const percentages = { ...flag.percentages, [flagPercentageKey(s.segment)]: s.percentage };
  return { enabled: true, percentages };
}

/** How the flag differs from what the plan's last write left, or undefined when it does not. */
export function flagDrift(wrote: RolloutSpec, flag: RolloutSpec): string | undefined {
  if (!flag.enabled && wrote.enabled) return 'it was switched off';
  for (const key of [...SEGMENTS, 'default'] as const) {
    if (flag.percentages[key] !== wrote.percentages[key]) {
      return `${key} is at ${flag.percentages[key]}%, the plan left it at ${wrote.percentages[key]}%`;
    }
  }
  return undefined;
}

export function still(state: RolloutState): PromotionOutcome {
  return { state, transitions: [], actions: [], gates: [] };
}

export function pause(
  state: Extract<RolloutState, { phase: 'progressing' }>,
  now: number,
  reason: string,
  actions: RolloutAction[],
  gates: readonly GateReport[],
): PromotionOutcome {
  return {
    state: {
      phase: 'paused',
      step: state.step,
      stepStartedAt: state.stepStartedAt,
      holdLeftMs: Math.max(0, state.holdUntil - now),
      wrote: state.wrote,
      reason,
    },
    transitions: [{ from: 'progressing', to: 'paused', step: state.step, at: now, reason }],
    actions,
    gates,
  };
}

export function abort(
  state: Extract<RolloutState, { phase: 'progressing' | 'paused' }>,
  now: number,
  reason: string,
  gates: readonly GateReport[],
): PromotionOutcome {
  return {
    state: { phase: 'aborted', step: state.step, at: now, reason },
    transitions: [{ from: state.phase, to: 'aborted', step: state.step, at: now, reason }],
    actions: [{ kind: 'rollback', reason }],
    gates,
  };
}
