// The promotion decision as one pure function, like the alert evaluator:
// (plan, state, observations, now) → (next state, transitions, actions, gate reports).
// Pending → Progressing(step) → Paused → Succeeded | Aborted. It moves one step at a time; it
// never promotes while a gate alert is pending or firing, nor before the hold is over and the
// minimum sample is in (too few samples extend the hold); a flag that differs from what the plan
// wrote means a person changed it, and the plan pauses rather than override them.
//
// The shell (not built yet: the daemon does not execute plans) persists the state, performs the
// actions through the flag store with their reasons, and feeds observations in on every tick.
import { SEGMENTS } from '../flags/types.js';
import type { RolloutSpec, Segment } from '../flags/types.js';
import { describeGates, judgeGates } from './gates.js';
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

export function decidePromotion(
  plan: RolloutPlan,
  state: RolloutState,
  obs: RolloutObservations,
  now: number,
): PromotionOutcome {
  if (state.phase !== 'progressing') return still(state);
  const i = state.step;
  const step = plan.steps[i];
  if (step === undefined) {
    return abort(state, now, `the plan has no step ${i + 1} (was it edited?)`, []);
  }
  if (obs.flag === undefined) return still(state);
  const drift = flagDrift(state.wrote, obs.flag);
  if (drift !== undefined) {
    const reason = `flag ${plan.flag} changed outside the plan (${drift}); paused, not overridden`;
    return pause(state, now, reason, [{ kind: 'notify', reason }], []);
  }
  const gates = judgeGates(plan, step, obs.alerts, obs.cohorts);
  const failed = gates.filter((g) => g.verdict === 'failed');
  if (failed.length > 0) {
    const reason = `step ${i + 1} (${step.percentage}% ${step.segment}): gates failed: ${describeGates(failed)}`;
    switch (plan.onFailure) {
      case 'rollback':
        return abort(state, now, reason, gates);
      case 'pause':
        return pause(state, now, reason, [{ kind: 'notify', reason }], gates);
      case 'notify':
        if (state.notified) return { ...still(state), gates };
        return {
          state: { ...state, notified: true },
          transitions: [],
          actions: [{ kind: 'notify', reason: `${reason}; not promoting while it fails` }],
          gates,
        };
    }
  }
  if (gates.some((g) => g.verdict === 'blocked') || now < state.holdUntil) {
    return { ...still(state), gates };
  }
  const { searches, users } = obs.sample;
  if (searches < step.minSample.searches || users < step.minSample.users) {
    if (state.extended) return { ...still(state), gates };
    const reason =
      `step ${i + 1} hold extended: ${searches}/${step.minSample.searches} AI searches, ` +
      `${users}/${step.minSample.users} users`;
    return {
      state: { ...state, extended: true },
      transitions: [{ from: 'progressing', to: 'progressing', step: i, at: now, reason }],
      actions: [],
      gates,
    };
  }
  return promote(plan, state, now, gates);
}

function promote(
  plan: RolloutPlan,
  state: Extract<RolloutState, { phase: 'progressing' }>,
  now: number,
  gates: readonly GateReport[],
): PromotionOutcome {
  const next = state.step + 1;
  const passed = `gates passed: ${describeGates(gates)}`;
  const target = plan.steps[next];
  if (target === undefined) {
    const reason = `rollout complete after step ${next} (${plan.steps[state.step]?.name}): ${passed}`;
    return {
      state: { phase: 'succeeded', at: now },
      transitions: [{ from: 'progressing', to: 'succeeded', step: undefined, at: now, reason }],
      actions: [],
      gates,
    };
  }
  const reason = `promoted to step ${next + 1} (${target.percentage}% ${target.segment}): ${passed}`;
  return {
    state: enter(plan, next, now, state.wrote),
    transitions: [{ from: 'progressing', to: 'progressing', step: next, at: now, reason }],
    actions: [writeStep(plan, next, reason)],
    gates,
  };
}

export type RolloutCommand = 'start' | 'pause' | 'resume' | 'abort';

export type CommandOutcome =
  ({ readonly ok: true } & PromotionOutcome) | { readonly ok: false; readonly error: string };

/**
 * A person's command; refused (with why) when it makes no sense in the current phase. `flag` is the
 * flag as the store holds it now (start and resume write from it; undefined: unreadable).
 */
export function applyCommand(
  plan: RolloutPlan,
  state: RolloutState,
  command: RolloutCommand,
  now: number,
  actor: string,
  flag: RolloutSpec | undefined,
): CommandOutcome {
  const by = `by ${actor}`;
  const refuse = (): CommandOutcome => ({
    ok: false,
    error: `cannot ${command} a rollout that is ${state.phase}`,
  });
  switch (command) {
    case 'start': {
      if (state.phase !== 'pending' || plan.steps.length === 0) return refuse();
      if (flag === undefined) return unreadable(plan);
      const first = plan.steps[0]!;
      const reason = `rollout started ${by}: step 1 (${first.percentage}% ${first.segment})`;
      return {
        ok: true,
        state: enter(plan, 0, now, flag),
        transitions: [{ from: 'pending', to: 'progressing', step: 0, at: now, reason }],
        actions: [writeStep(plan, 0, reason)],
        gates: [],
      };
    }
    case 'pause':
      if (state.phase !== 'progressing') return refuse();
      return { ok: true, ...pause(state, now, `paused ${by}`, [], []) };
    case 'resume': {
      if (state.phase !== 'paused') return refuse();
      const step = plan.steps[state.step];
      if (step === undefined) return refuse();
      if (flag === undefined) return unreadable(plan);
      // Resuming re-asserts the step's percentage: a person asked for it, so it is not silent.
      const reason = `resumed ${by} at step ${state.step + 1} (${step.percentage}% ${step.segment})`;
      return {
        ok: true,
        state: {
          phase: 'progressing',
          step: state.step,
          stepStartedAt: state.stepStartedAt,
          holdUntil: now + state.holdLeftMs,
          // The person who resumes keeps whatever else they changed; only this step is re-written.
          wrote: afterWrite(plan, state.step, flag),
          extended: false,
          notified: false,
        },
        transitions: [{ from: 'paused', to: 'progressing', step: state.step, at: now, reason }],
        actions: [writeStep(plan, state.step, reason)],
        gates: [],
      };
    }
    case 'abort':
      if (state.phase !== 'progressing' && state.phase !== 'paused') return refuse();
      return { ok: true, ...abort(state, now, `aborted ${by}`, []) };
  }
}

function unreadable(plan: RolloutPlan): CommandOutcome {
  return { ok: false, error: `cannot read flag ${plan.flag}; nothing written` };
}

function enter(plan: RolloutPlan, step: number, now: number, flag: RolloutSpec): RolloutState {
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

function writeStep(plan: RolloutPlan, step: number, reason: string): RolloutAction {
  const s = plan.steps[step]!;
  return {
    kind: 'write-flag',
    segment: flagPercentageKey(s.segment),
    percentage: s.percentage,
    reason,
  };
}

/** The flag once the step's percentage is written into it (a write also switches it on). */
function afterWrite(plan: RolloutPlan, step: number, flag: RolloutSpec): RolloutSpec {
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

function still(state: RolloutState): PromotionOutcome {
  return { state, transitions: [], actions: [], gates: [] };
}

function pause(
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

function abort(
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
