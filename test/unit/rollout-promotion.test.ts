// The promotion state machine, stepped by a fake clock through tables of observations. A fake
// flag store applies the actions the way the shell will, so a plan write is never mistaken for a
// person's change.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RolloutSpec } from '../../src/flags/types.js';
import type { ActiveAlert, CohortPair } from '../../src/rollout/gates.js';
import { parsePlanText } from '../../src/rollout/load-plan.js';
import { scalePlan } from '../../src/rollout/plan.js';
import type { FailurePolicy, GuardedMetric, RolloutPlan } from '../../src/rollout/plan.js';
import { decidePromotion } from '../../src/rollout/promotion.js';
import { applyCommand } from '../../src/rollout/rollout-commands.js';
import { INITIAL_ROLLOUT_STATE } from '../../src/rollout/rollout-state.js';
import type {
  RolloutAction,
  RolloutObservations,
  RolloutState,
  RolloutTransition,
} from '../../src/rollout/rollout-state.js';
import type { RolloutCommand } from '../../src/rollout/rollout-commands.js';

const root = join(import.meta.dirname, '../..');
const S = 1000;

/** The shipped plan at --time-scale 8640: holds of 10 s, 20 s, 10 s, 10 s, 10 s. */
function plan(onFailure: FailurePolicy = 'rollback'): RolloutPlan {
  const text = readFileSync(join(root, 'rollouts/ai-search.yml'), 'utf8').replace(
    'on_failure: rollback',
    `on_failure: ${onFailure}`,
  );
  const loaded = parsePlanText(text, 'rollouts/ai-search.yml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const scaled = scalePlan(loaded.plan, 8640);
  if (!scaled.ok) throw new Error(scaled.error);
  return scaled.plan;
}

/** A latency histogram of `total` searches, `slower` of them slower than 30 s. */
function slowerThan30s(total: number, slower: number) {
  return {
    buckets: [
      { le: 30, cumulative: total - slower },
      { le: Infinity, cumulative: total },
    ],
  };
}

const HEALTHY: Readonly<Partial<Record<GuardedMetric, CohortPair>>> = {
  error_ratio: {
    kind: 'proportion',
    canary: { events: 20, trials: 2000 },
    baseline: { events: 100, trials: 10_000 },
  },
  latency_mean: {
    kind: 'mean',
    canary: { n: 2000, mean: 1.0, variance: 0.25 },
    baseline: { n: 10_000, mean: 1.0, variance: 0.25 },
  },
  // 2 of 2000 AI searches slower than 30 s, no keyword search: well under the 5-point tolerance.
  latency_p95: {
    kind: 'exceedance',
    canary: slowerThan30s(2000, 2),
    baseline: slowerThan30s(10_000, 0),
  },
};
/** The example: 15% failures against 5%, a lower bound of 0.046 > tolerance 0.01. */
const AI_FAILING = {
  ...HEALTHY,
  error_ratio: {
    kind: 'proportion',
    canary: { events: 60, trials: 400 },
    baseline: { events: 80, trials: 1600 },
  },
} as const;
const PLENTY = { searches: 100_000, users: 10_000 };

interface Tick {
  readonly at: number;
  readonly command?: RolloutCommand;
  readonly alerts?: readonly ActiveAlert[];
  readonly sample?: RolloutObservations['sample'];
  readonly cohorts?: RolloutObservations['cohorts'];
  /** A person edits the flag just before this tick. */
  readonly manual?: (flag: RolloutSpec) => RolloutSpec;
  readonly unreadable?: boolean;
  /** The flag's last change was the daemon's automatic rollback, with this reason. */
  readonly rolledBack?: string;
}

interface Run {
  state: RolloutState;
  flag: RolloutSpec;
  transitions: RolloutTransition[];
  actions: (RolloutAction & { at: number })[];
  refused: string[];
}

const OFF: RolloutSpec = {
  enabled: false,
  percentages: { 'internal-users': 0, 'beta-users': 0, default: 0 },
};

function apply(flag: RolloutSpec, action: RolloutAction): RolloutSpec {
  if (action.kind === 'write-flag') {
    return {
      enabled: true,
      percentages: { ...flag.percentages, [action.segment]: action.percentage },
    };
  }
  return action.kind === 'rollback' ? { ...flag, enabled: false } : flag;
}

function run(p: RolloutPlan, ticks: readonly Tick[], start: RolloutState = INITIAL_ROLLOUT_STATE) {
  const r: Run = { state: start, flag: OFF, transitions: [], actions: [], refused: [] };
  for (const t of ticks) {
    if (t.manual) r.flag = t.manual(r.flag);
    const out = t.command
      ? applyCommand(p, r.state, t.command, t.at, 'tester', t.unreadable ? undefined : r.flag)
      : {
          ok: true as const,
          ...decidePromotion(
            p,
            r.state,
            {
              flag: t.unreadable ? undefined : r.flag,
              alerts: t.alerts ?? [],
              sample: t.sample ?? PLENTY,
              cohorts: t.cohorts ?? HEALTHY,
              ...(t.rolledBack ? { rolledBack: t.rolledBack } : {}),
            },
            t.at,
          ),
        };
    if (!out.ok) {
      r.refused.push(out.error);
      continue;
    }
    r.state = out.state;
    r.transitions.push(...out.transitions);
    for (const a of out.actions) {
      r.flag = apply(r.flag, a);
      r.actions.push({ ...a, at: t.at });
    }
  }
  return r;
}

/** A start at 0, then a look every second up to `untilS` (inclusive), with `each(t)` overrides. */
function ticks(untilS: number, each: (at: number) => Partial<Tick> = () => ({})): Tick[] {
  const out: Tick[] = [{ at: 0, command: 'start' }];
  for (let s = 1; s <= untilS; s++) out.push({ at: s * S, ...each(s * S) });
  return out;
}

const timeline = (r: Run) => r.transitions.map((t) => [t.at / S, t.to, t.step]);

describe('healthy traffic: one step at a time, each after its hold', () => {
  it('goes 1% → 10% → 25% → 50% → 100% → succeeded at 10, 30, 40, 50, 60 s', () => {
    const r = run(plan(), ticks(70));
    expect(timeline(r)).toEqual([
      [0, 'progressing', 0],
      [10, 'progressing', 1],
      [30, 'progressing', 2],
      [40, 'progressing', 3],
      [50, 'progressing', 4],
      [60, 'succeeded', undefined],
    ]);
    expect(
      r.actions.map((a) =>
        a.kind === 'write-flag' ? [a.at / S, a.kind, a.segment, a.percentage] : [a.at / S, a.kind],
      ),
    ).toEqual([
      [0, 'write-flag', 'internal-users', 1],
      [10, 'write-flag', 'beta-users', 10],
      [30, 'write-flag', 'default', 25],
      [40, 'write-flag', 'default', 50],
      [50, 'write-flag', 'default', 100],
    ]);
    expect(r.flag).toEqual({
      enabled: true,
      percentages: { 'internal-users': 1, 'beta-users': 10, default: 100 },
    });
  });

  it('says in the audit reason which step it promoted to and the gates’ numbers', () => {
    const r = run(plan(), ticks(10));
    const reason = r.actions[1]?.reason ?? '';
    expect(reason).toMatch(/^promoted to step 2 \(10% beta-users\): gates passed: /);
    expect(reason).toMatch(/alerts: pass/);
    expect(reason).toMatch(/error_ratio: pass \(difference 0, one-sided lower bound -0\.00\d+/);
  });

  it('at 100% the cohort gates pass without a flag-off cohort; alerts still judge', () => {
    const r = run(
      plan(),
      ticks(60, (at) => (at > 50 * S ? { cohorts: {} } : {})),
    );
    expect(r.state.phase).toBe('succeeded');
  });
});

describe('what holds a promotion back', () => {
  it.each([
    [
      'a pending warning alert',
      { alerts: [{ name: 'AiSlow', severity: 'warning', state: 'pending' }] },
      16,
    ],
    ['missing cohort observations', { cohorts: {} }, 16],
    [
      'too few searches in the cohort',
      {
        cohorts: {
          ...HEALTHY,
          error_ratio: {
            kind: 'proportion',
            canary: { events: 0, trials: 10 },
            baseline: { events: 0, trials: 10 },
          },
        },
      },
      16,
    ],
    ['an unreadable flag store', { unreadable: true }, 16],
  ] as const)(
    '%s (from 5 s to 15 s) moves the first promotion from 10 s to 16 s',
    (_, during, at) => {
      const r = run(
        plan(),
        ticks(20, (t) => (t >= 5 * S && t <= 15 * S ? during : {})),
      );
      expect(r.transitions[1]).toMatchObject({ at: at * S, to: 'progressing', step: 1 });
      expect(r.state.phase).toBe('progressing');
    },
  );

  it('an info alert does not hold anything back', () => {
    const info: ActiveAlert = { name: 'AiNote', severity: 'info', state: 'firing' };
    const r = run(
      plan(),
      ticks(10, () => ({ alerts: [info] })),
    );
    expect(r.transitions[1]).toMatchObject({ at: 10 * S, step: 1 });
  });

  it('too few samples extend the hold, said once, until the minimum is in', () => {
    const r = run(
      plan(),
      ticks(20, (t) => ({
        sample: t < 14 * S ? { searches: 150, users: 40 } : { searches: 200, users: 10 },
      })),
    );
    expect(timeline(r)).toEqual([
      [0, 'progressing', 0],
      [10, 'progressing', 0],
      [14, 'progressing', 1],
    ]);
    expect(r.transitions[1]?.reason).toBe('step 1 hold extended: 150/200 AI searches, 40/10 users');
  });
});

describe('a failed gate applies the plan’s policy', () => {
  const firing: ActiveAlert = { name: 'AiSearchErrors', severity: 'critical', state: 'firing' };

  it('rollback: a firing critical alert aborts and turns the flag off, with the alert in the reason', () => {
    const r = run(
      plan('rollback'),
      ticks(20, (t) => (t === 12 * S ? { alerts: [firing] } : {})),
    );
    expect(timeline(r).at(-1)).toEqual([12, 'aborted', 1]);
    expect(r.actions.at(-1)).toMatchObject({ kind: 'rollback' });
    expect(r.actions.at(-1)?.reason).toMatch(
      /gates failed: alerts: failed \(firing: AiSearchErrors \(critical\)\)/,
    );
    expect(r.flag.enabled).toBe(false);
  });

  it('rollback: an AI cohort regression aborts with the statistic’s numbers', () => {
    const r = run(
      plan('rollback'),
      ticks(20, (t) => (t === 5 * S ? { cohorts: AI_FAILING } : {})),
    );
    expect(r.state).toMatchObject({ phase: 'aborted', step: 0, at: 5 * S });
    expect(r.actions.at(-1)?.reason).toMatch(
      /error_ratio: failed \(difference 0\.1, one-sided lower bound 0\.04613 \(n 2000\) > \+0\.01/,
    );
  });

  it('rollback: AI searches slower than the 30 s allowance abort on latency_p95', () => {
    // 300 of 2000 AI searches slower than 30 s against none of 10 000 keyword ones: difference
    // 0.15, SE² = 0.15·0.85/2000 + 0 = 6.375e-5, n = 12 000, half-width 0.022482 (Python, the
    // formula in rollout-latency-exceedance.test.ts) → lower bound 0.127518.
    const slow = {
      ...HEALTHY,
      latency_p95: {
        kind: 'exceedance',
        canary: slowerThan30s(2000, 300),
        baseline: slowerThan30s(10_000, 0),
      },
    } as const;
    const r = run(
      plan('rollback'),
      ticks(20, (t) => (t === 5 * S ? { cohorts: slow } : {})),
    );
    expect(r.state).toMatchObject({ phase: 'aborted', step: 0, at: 5 * S });
    expect(r.actions.at(-1)?.reason).toMatch(
      /latency_p95: failed \(slower than 30s: canary 300\/2000, baseline 0\/10000; share difference 0\.15, one-sided lower bound 0\.1275 \(n 12000\) > \+0\.05/,
    );
  });

  it('pause: stops where it is; a resume gives back the 16 s of hold that were left', () => {
    const p = plan('pause');
    const r = run(p, [
      ...ticks(14, (t) => (t === 14 * S ? { cohorts: AI_FAILING } : {})),
      { at: 100 * S },
      { at: 200 * S, command: 'resume' },
      { at: 215 * S },
      { at: 216 * S },
    ]);
    expect(timeline(r)).toEqual([
      [0, 'progressing', 0],
      [10, 'progressing', 1],
      [14, 'paused', 1],
      [200, 'progressing', 1],
      [216, 'progressing', 2],
    ]);
    expect(r.actions.filter((a) => a.kind === 'rollback')).toEqual([]);
  });

  it('notify: tells people once and does not promote while the gate fails', () => {
    const r = run(
      plan('notify'),
      ticks(30, (t) => (t <= 25 * S ? { cohorts: AI_FAILING } : {})),
    );
    expect(r.actions.filter((a) => a.kind === 'notify').map((a) => a.at)).toEqual([1 * S]);
    expect(timeline(r)).toEqual([
      [0, 'progressing', 0],
      [26, 'progressing', 1],
    ]);
  });
});

describe('a person’s flag change pauses the plan; it is never overridden silently', () => {
  it('pauses on a manual percentage change, writes nothing until resumed, then re-asserts the step', () => {
    const r = run(plan(), [
      ...ticks(12, (t) =>
        t === 12 * S
          ? { manual: (f) => ({ ...f, percentages: { ...f.percentages, 'beta-users': 50 } }) }
          : {},
      ),
      { at: 60 * S },
      { at: 61 * S, command: 'resume' },
    ]);
    expect(timeline(r)).toEqual([
      [0, 'progressing', 0],
      [10, 'progressing', 1],
      [12, 'paused', 1],
      [61, 'progressing', 1],
    ]);
    expect(r.transitions[2]?.reason).toMatch(
      /beta-users is at 50%, the plan left it at 10%.*not overridden/,
    );
    expect(r.actions.map((a) => [a.at / S, a.kind])).toEqual([
      [0, 'write-flag'],
      [10, 'write-flag'],
      [12, 'notify'],
      [61, 'write-flag'],
    ]);
    expect(r.flag.percentages['beta-users']).toBe(10);
    expect(r.actions.at(-1)?.reason).toBe('resumed by tester at step 2 (10% beta-users)');
  });

  it('pauses when a person raises a segment the plan has not reached yet, and keeps it on resume', () => {
    const r = run(plan(), [
      ...ticks(3, (t) =>
        t === 3 * S
          ? { manual: (f) => ({ ...f, percentages: { ...f.percentages, default: 30 } }) }
          : {},
      ),
      { at: 4 * S, command: 'resume' },
      { at: 14 * S },
    ]);
    expect(r.transitions[1]).toMatchObject({
      to: 'paused',
      reason: expect.stringMatching(/default is at 30%, the plan left it at 0%/),
    });
    expect(timeline(r).at(-1)).toEqual([14, 'progressing', 1]);
    expect(r.flag.percentages).toEqual({ 'internal-users': 1, 'beta-users': 10, default: 30 });
  });

  it('start and resume are refused while the flag cannot be read, and write nothing', () => {
    const r = run(plan(), [{ at: 0, command: 'start', unreadable: true }]);
    expect(r.refused).toEqual(['cannot read flag ai-search-enabled; nothing written']);
    expect(r.actions).toEqual([]);
  });

  it('pauses when a person switches the flag off', () => {
    const r = run(
      plan(),
      ticks(3, (t) => (t === 3 * S ? { manual: (f) => ({ ...f, enabled: false }) } : {})),
    );
    expect(r.state).toMatchObject({
      phase: 'paused',
      reason: expect.stringMatching(/switched off/),
    });
  });
});

describe('an automatic rollback stops the plan', () => {
  it('aborts (never pauses) when the daemon rolled the flag back, and says why', () => {
    const r = run(
      plan(),
      ticks(3, (t) =>
        t === 3 * S
          ? {
              manual: (f) => ({ ...f, enabled: false }),
              rolledBack: 'immediate_rollback by ai_service_failure',
            }
          : {},
      ),
    );
    expect(r.state).toMatchObject({
      phase: 'aborted',
      reason: expect.stringMatching(/rolled back \(immediate_rollback by ai_service_failure\)/),
    });
    expect(r.flag.enabled).toBe(false);
  });

  it('still pauses when the last change was a rollback but the flag is on again (a person)', () => {
    const r = run(
      plan(),
      ticks(3, (t) =>
        t === 3 * S
          ? {
              manual: (f) => ({ ...f, percentages: { ...f.percentages, default: 40 } }),
              rolledBack: 'earlier',
            }
          : {},
      ),
    );
    expect(r.state.phase).toBe('paused');
  });
});

describe('commands', () => {
  it.each([
    ['resume', 'pending'],
    ['pause', 'pending'],
    ['abort', 'pending'],
  ] as const)('%s is refused when %s', (command, phase) => {
    const r = run(plan(), [{ at: 0, command }]);
    expect(r.refused).toEqual([`cannot ${command} a rollout that is ${phase}`]);
    expect(r.actions).toEqual([]);
  });

  it('start twice, resume while progressing: refused', () => {
    const r = run(plan(), [
      { at: 0, command: 'start' },
      { at: 1, command: 'start' },
      { at: 2, command: 'resume' },
    ]);
    expect(r.refused).toEqual([
      'cannot start a rollout that is progressing',
      'cannot resume a rollout that is progressing',
    ]);
  });

  it('pause, abort from paused: the flag goes off, and nothing moves after', () => {
    const r = run(plan(), [
      ...ticks(5),
      { at: 6 * S, command: 'pause' },
      { at: 7 * S, command: 'abort' },
      { at: 100 * S },
    ]);
    expect(timeline(r)).toEqual([
      [0, 'progressing', 0],
      [6, 'paused', 0],
      [7, 'aborted', 0],
    ]);
    expect(r.actions.at(-1)).toMatchObject({ kind: 'rollback', reason: 'aborted by tester' });
  });

  it('a pause mid-hold keeps the hold left: paused at 4 s, resumed at 50 s, promoted at 56 s', () => {
    const r = run(plan(), [
      ...ticks(4),
      { at: 4 * S, command: 'pause' },
      { at: 50 * S, command: 'resume' },
      { at: 55 * S },
      { at: 56 * S },
    ]);
    expect(timeline(r).at(-1)).toEqual([56, 'progressing', 1]);
  });
});

describe('properties over random observation sequences', () => {
  const alert = fc.record({
    name: fc.constant('A'),
    severity: fc.constantFrom('critical', 'warning', 'info'),
    state: fc.constantFrom<'pending' | 'firing'>('pending', 'firing'),
  });
  const tick = fc.record({
    gapMs: fc.integer({ min: 1, max: 8000 }),
    alerts: fc.array(alert, { maxLength: 2 }),
    // Around each step's minimum (200/10, 1000/50, 2000/200, 5000/500, 10000/1000) so that a
    // promotion one short of it is likely to be drawn.
    searches: fc.constantFrom(0, 199, 200, 999, 1000, 1999, 2000, 4999, 5000, 9999, 10_000, 20_000),
    users: fc.constantFrom(0, 9, 10, 49, 50, 199, 200, 499, 500, 999, 1000, 2000),
    failing: fc.boolean(),
  });

  it('never promotes before the hold, the minimum sample, or with a gate alert active; one step at a time', () => {
    const p = plan('notify');
    fc.assert(
      fc.property(fc.array(tick, { maxLength: 60 }), (seq) => {
        let at = 0;
        const script: Tick[] = [{ at: 0, command: 'start' }];
        for (const t of seq) {
          at += t.gapMs;
          script.push({
            at,
            alerts: t.alerts,
            sample: { searches: t.searches, users: t.users },
            cohorts: t.failing ? AI_FAILING : HEALTHY,
          });
        }
        const r = run(p, script);
        let step = 0;
        let startedAt = 0;
        for (const tr of r.transitions.slice(1)) {
          if (tr.to === 'progressing' && tr.step === step) continue; // a hold extension
          const done = p.steps[step]!;
          const look = script.find((s) => s.at === tr.at)!;
          expect(tr.at - startedAt).toBeGreaterThanOrEqual(done.holdMs);
          expect(look.sample!.searches).toBeGreaterThanOrEqual(done.minSample.searches);
          expect(look.sample!.users).toBeGreaterThanOrEqual(done.minSample.users);
          expect(look.alerts!.filter((a) => a.severity !== 'info')).toEqual([]);
          if (tr.to === 'succeeded') break;
          expect(tr.step).toBe(step + 1);
          step += 1;
          startedAt = tr.at;
        }
      }),
      { numRuns: 300 },
    );
  });
});
