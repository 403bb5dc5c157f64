// The rollout as the driver sees it after every look and command: the daemon's status snapshot
// holds it (frozen) as `rollout`, which the status page, `GET /api/rollout` and so
// `canary rollout status` read; the metrics are set from it too.
import type { GateReport } from '../../rollout/gates.js';
import type { RolloutPlan } from '../../rollout/plan.js';
import type { RolloutObservations, RolloutState } from '../../rollout/rollout-state.js';
import { GATE_VERDICTS, ROLLOUT_PHASES, type DaemonMetrics } from '../metrics.js';
import type { PlanRef, TimelineEntry } from './rollout-store.js';

/** The last look at a step in progress: each gate's verdict with its numbers, and the sample. */
export interface LastLook {
  readonly at: number;
  readonly gates: readonly GateReport[];
  readonly sample: RolloutObservations['sample'];
  /** Why the cohorts could not be read (Prometheus failing), if so: the gates then block. */
  readonly error: string | undefined;
}

export interface RolloutView {
  readonly now: number;
  readonly leader: boolean;
  readonly leadership: string;
  readonly planRef: PlanRef | null;
  readonly plan: RolloutPlan | undefined;
  readonly planError: string | undefined;
  readonly state: RolloutState;
  /** Left of the current step's hold (progressing: counts down; paused: frozen). */
  readonly holdLeftMs: number | undefined;
  readonly lastLook: LastLook | undefined;
  readonly timeline: readonly TimelineEntry[];
}

/** The step the rollout is at (0-based), when it is progressing or paused. */
export function currentStep(view: RolloutView): number | undefined {
  const s = view.state;
  return s.phase === 'progressing' || s.phase === 'paused' ? s.step : undefined;
}

export function publishRolloutMetrics(m: DaemonMetrics, view: RolloutView): void {
  const step = currentStep(view);
  m.rolloutStep.set(step === undefined ? 0 : step + 1);
  for (const p of ROLLOUT_PHASES) m.rolloutState.labels(p).set(view.state.phase === p ? 1 : 0);
  m.rolloutHoldRemaining.set(
    view.state.phase === 'progressing' ? (view.holdLeftMs ?? 0) / 1000 : 0,
  );
  m.rolloutPercentage.reset();
  const s = step === undefined ? undefined : view.plan?.steps[step];
  if (s) m.rolloutPercentage.labels(s.segment).set(s.percentage);
  m.rolloutGateVerdict.reset();
  if (view.state.phase !== 'progressing') return;
  for (const g of view.lastLook?.gates ?? []) {
    for (const v of GATE_VERDICTS)
      m.rolloutGateVerdict.labels(g.gate, v).set(g.verdict === v ? 1 : 0);
  }
}
