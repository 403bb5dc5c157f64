// A person's rollout commands (start, pause, resume, abort) as one pure function, refusing (with
// why) a command that makes no sense in the current phase.
import type { RolloutSpec } from '../flags/types.js';
import type { RolloutPlan } from './plan.js';
import { abort, afterWrite, enter, pause, writeStep } from './rollout-state.js';
import type { PromotionOutcome, RolloutState } from './rollout-state.js';

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
