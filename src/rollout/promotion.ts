// The promotion decision as one pure function, like the alert evaluator:
// (plan, state, observations, now) → (next state, transitions, actions, gate reports).
// Pending → Progressing(step) → Paused → Succeeded | Aborted. It moves one step at a time; it
// never promotes while a gate alert is pending or firing, nor before the hold is over and the
// minimum sample is in (too few samples extend the hold); a flag that differs from what the plan
// wrote means a person changed it, and the plan pauses rather than override them.
//
// The shell (src/canary/rollout-driver.ts) persists the state, performs the actions through the
// flag store with their reasons, and feeds observations in on every tick.
import { describeGates, judgeGates } from './gates.js';
import type { RolloutPlan } from './plan.js';
import { abort, enter, flagDrift, pause, still, writeStep } from './rollout-state.js';
import type { GateReport } from './gates.js';
import type { PromotionOutcome, RolloutObservations, RolloutState } from './rollout-state.js';

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
    if (obs.rolledBack !== undefined && !obs.flag.enabled) {
      const why = `flag ${plan.flag} was rolled back (${obs.rolledBack}); the rollout stops`;
      return abort(state, now, why, []);
    }
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
