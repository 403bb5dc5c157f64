// The guide's rollout, driven by the daemon, end to end in fast mode: real processes (the search
// service and the canary daemon from bin/canary.js), a real Prometheus loading the fast rules, the
// LLM simulator, steady traffic from users of every segment, and `canary rollout …` run as a user
// runs it. The plan is the guide's (test/fixtures/rollouts/fast-e2e.yml: same steps, holds and
// gates; smaller minimum samples, see its header) at --time-scale 8640: holds of 10 s and 20 s.
// One stack, phases in order: a healthy rollout from internal 1% to 100% (with a daemon restart
// mid-hold and a pause/resume round trip on the way), then a second rollout that 30% AI failures
// abort, then a third that an AI-only latency regression at 25% rolls back.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RolloutView } from '../../src/canary/rollout/rollout-view.js';
import type { RolloutState } from '../../src/rollout/rollout-state.js';
import { eventually } from '../harness/index.js';
import { daemonRule } from './support/daemon-api.js';
import { AI_FLAG, startE2eStack, stackOutput, type E2eStack } from './support/e2e-stack.js';
import { ADMIN_TOKEN, rolloutCli, rolloutUsers, rolloutView } from './support/rollout-support.js';
import { startSteadyTraffic, type SteadyTraffic } from './support/steady-traffic.js';

const PLAN = path.resolve('test/fixtures/rollouts/fast-e2e.yml');
const SCALE = 8640;
/** The plan's holds at --time-scale 8640, in ms. */
const HOLDS = [24, 48, 24, 24, 24].map((h) => (h * 3_600_000) / SCALE);
const MIN_SEARCHES = [30, 60, 100, 150, 200];
const SEARCHES_PER_SECOND = 25;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: E2eStack;
let traffic: SteadyTraffic;

beforeAll(async () => {
  stack = await startE2eStack({
    seed: 13,
    // The flag starts off: the plan's start is its first write.
    flagEnv: {
      NEXT_PUBLIC_AI_SEARCH_ENABLED: 'false',
      NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE: '0',
      AI_SEARCH_INTERNAL_USERS: 'false',
      AI_SEARCH_BETA_USERS: 'false',
    },
    daemonArgs: ['--rollout-plan', PLAN],
    daemonEnv: { CANARY_ADMIN_TOKEN: ADMIN_TOKEN },
  });
  traffic = startSteadyTraffic({
    serviceUrl: stack.serviceUrl,
    users: rolloutUsers(),
    perSecond: SEARCHES_PER_SECOND,
  });
});

afterAll(async () => {
  await traffic?.stop();
  await stack?.stop();
});

const view = () => rolloutView(stack.daemon.url);

function waitForState(
  what: string,
  match: (s: RolloutState) => boolean,
  timeoutMs = 120_000,
): Promise<RolloutView> {
  return eventually(
    async () => {
      const v = await view();
      return match(v.state) ? v : undefined;
    },
    { what: `the rollout to be ${what}`, timeoutMs, intervalMs: 250 },
  ).catch(async (err: Error) => {
    const v = await view().catch(() => undefined);
    const last = v && { state: v.state, lastLook: v.lastLook, timeline: v.timeline.slice(-4) };
    throw new Error(`${err.message}\n${JSON.stringify(last, null, 1)}\n${stackOutput(stack)}`);
  });
}

const atStep = (step: number) => (s: RolloutState) => s.phase === 'progressing' && s.step === step;

/** Sets the flag back off at 0% everywhere, as a person would before a new rollout. */
async function resetFlag(): Promise<void> {
  const meta = { actor: 'e2e', reason: 'reset for the next rollout' };
  await stack.flags.update({ flag: AI_FLAG, value: false, percentage: 0 }, meta);
  for (const segment of ['internal-users', 'beta-users'] as const) {
    await stack.flags.update({ flag: AI_FLAG, percentage: 0, segment }, meta);
  }
}

/** One line per transition: the fast-mode timeline the issue asks for. */
function printTimeline(v: RolloutView, since: number): void {
  const lines = v.timeline
    .filter((t) => t.at >= since)
    .map((t) => {
      const gates = t.gates.map((g) => `${g.gate}=${g.verdict} (${g.reason})`).join('; ');
      const sample = t.sample
        ? ` sample ${t.sample.searches} AI searches/${t.sample.users} users`
        : '';
      return `+${((t.at - since) / 1000).toFixed(1)}s ${t.from}→${t.to} step ${t.step === undefined ? '-' : t.step + 1}${sample}: ${t.reason}${gates ? ` | ${gates}` : ''}`;
    });
  console.log(`rollout timeline (--time-scale ${SCALE}):\n${lines.join('\n')}`);
}

describe('the daemon drives the rollout plan, end to end in fast mode', () => {
  it('takes the flag from internal 1% to 100% by itself, respecting holds and minimum samples, across a restart and a pause', async () => {
    const since = Date.now();
    const started = await rolloutCli(stack.daemon.url, 'start', '--time-scale', String(SCALE));
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(
      /rollout: progressing at step 1 of 5 \(internal: internal-users 1%\)/,
    );
    expect(await stack.flags.getRollout(AI_FLAG)).toEqual({
      enabled: true,
      percentages: { 'internal-users': 1, 'beta-users': 0, default: 0 },
    });

    // A daemon killed mid-hold comes back in the same hold: same step, same end of hold.
    const beta = await waitForState('at step 2 (beta)', atStep(1));
    const hold = beta.state as Extract<RolloutState, { phase: 'progressing' }>;
    await sleep(HOLDS[1]! / 4);
    await stack.restartDaemon();
    const back = await view();
    // On a slow machine the restart may outlast the hold: then the step has moved on, but never
    // before the hold it had, and the step was never entered afresh.
    if (back.state.phase === 'progressing' && back.state.step === 1) {
      expect(back.state).toMatchObject({
        stepStartedAt: hold.stepStartedAt,
        holdUntil: hold.holdUntil,
      });
    }
    const enteredBeta = back.timeline.filter(
      (t) => t.step === 1 && t.reason.startsWith('promoted to step 2'),
    );
    expect(enteredBeta.map((t) => t.at)).toEqual([hold.stepStartedAt]);

    // Pause at step 3: nothing moves while paused, the hold left is frozen, resume carries on.
    await waitForState('at step 3 (quarter)', atStep(2));
    const paused = await rolloutCli(stack.daemon.url, 'pause', '--actor', 'alice');
    expect(paused.code, paused.stderr).toBe(0);
    const p = await view();
    expect(p.state).toMatchObject({ phase: 'paused', step: 2, reason: 'paused by alice' });
    const left = (p.state as Extract<RolloutState, { phase: 'paused' }>).holdLeftMs;
    await sleep(HOLDS[2]! + 2000); // longer than the whole hold: a running plan would promote
    expect((await view()).state).toMatchObject({ phase: 'paused', step: 2, holdLeftMs: left });
    expect((await stack.flags.getRollout(AI_FLAG))?.percentages.default).toBe(25);
    const status = await rolloutCli(stack.daemon.url, 'status');
    expect(status.stdout).toMatch(/rollout: paused at step 3 of 5 .*hold left/);
    const resumedAt = Date.now();
    const resumed = await rolloutCli(stack.daemon.url, 'resume', '--actor', 'alice');
    expect(resumed.code, resumed.stderr).toBe(0);
    const r = (await view()).state as Extract<RolloutState, { phase: 'progressing' }>;
    expect(r).toMatchObject({ phase: 'progressing', step: 2 });
    expect(r.holdUntil).toBeGreaterThanOrEqual(resumedAt + left - 1000);

    const done = await waitForState('succeeded', (s) => s.phase === 'succeeded', 180_000);
    printTimeline(done, since);
    expect(await stack.flags.getRollout(AI_FLAG)).toEqual({
      enabled: true,
      percentages: { 'internal-users': 1, 'beta-users': 10, default: 100 },
    });

    // One step at a time, each promotion after its hold and with its minimum sample in.
    const moves = done.timeline.filter(
      (t) =>
        t.at >= since &&
        (t.to === 'succeeded' ||
          (t.from === 'progressing' &&
            t.to === 'progressing' &&
            t.step !== undefined &&
            t.reason.startsWith('promoted'))),
    );
    expect(moves.map((t) => (t.to === 'succeeded' ? 'done' : t.step))).toEqual([
      1,
      2,
      3,
      4,
      'done',
    ]);
    const entered = [
      done.timeline.find((t) => t.at >= since && t.from === 'pending')!.at,
      ...moves.map((t) => t.at),
    ];
    // The restarted daemon kept the beta hold's end: no promotion out of it before that.
    expect(moves[1]!.at).toBeGreaterThanOrEqual(hold.holdUntil);
    for (const [i, m] of moves.entries()) {
      expect(m.at - entered[i]!, `hold of step ${i + 1}`).toBeGreaterThanOrEqual(HOLDS[i]!);
      expect(m.sample?.searches, `sample of step ${i + 1}`).toBeGreaterThanOrEqual(
        MIN_SEARCHES[i]!,
      );
      expect(
        m.gates.every((g) => g.verdict === 'pass'),
        m.reason,
      ).toBe(true);
    }

    // The audit log tells the story in the plan's words, by the plan's actor.
    const audit = (await stack.flags.history({ flag: AI_FLAG })).filter(
      (e) => Date.parse(e.time) >= since && e.actor === 'canary-rollout',
    );
    const reasons = audit.map((e) => e.reason);
    expect(reasons[0]).toMatch(/^rollout started by .+: step 1 \(1% internal-users\)$/);
    expect(reasons).toContainEqual(
      expect.stringMatching(
        /^promoted to step 3 \(25% public\): gates passed: alerts: pass .*error_ratio: pass .*latency_mean: pass .*latency_p95: pass \(slower than 30s: canary \d+\/\d+, baseline \d+\/\d+/,
      ),
    );
    // The resume re-wrote 25%, which the flag already had: no change, so no audit entry; the
    // plan's timeline has it.
    expect(done.timeline.map((t) => t.reason)).toContain('resumed by alice at step 3 (25% public)');
    expect(reasons.at(-1)).toMatch(/^promoted to step 5 \(100% public\)/);
  });

  it('aborts on 30% AI failures mid-rollout and turns the flag off', async () => {
    await resetFlag();
    const since = Date.now();
    const started = await rolloutCli(stack.daemon.url, 'start', '--time-scale', String(SCALE));
    expect(started.code, started.stderr).toBe(0);
    await waitForState('at step 2 (beta)', atStep(1));
    stack.setAiErrorRate(0.3);
    try {
      const aborted = await waitForState('aborted', (s) => s.phase === 'aborted', 90_000);
      printTimeline(aborted, since);
      expect(aborted.state).toMatchObject({ phase: 'aborted', step: 1 });
      // Whichever saw it first (the plan's gates, or the ai_service_failure rollback), the flag
      // is off and the plan says why.
      expect((aborted.state as { reason: string }).reason).toMatch(
        /gates failed: .*(error_ratio: failed|alerts: failed)|was rolled back \(immediate_rollback/,
      );
      await eventually(
        async () => ((await stack.flags.getRollout(AI_FLAG))?.enabled === false ? true : undefined),
        { what: 'the flag off', timeoutMs: 10_000 },
      );
      // Nothing moves after an abort.
      await sleep(3000);
      expect((await view()).state.phase).toBe('aborted');
    } finally {
      stack.setAiErrorRate(0);
    }
  });

  it("rolls back at the 25% step on an AI-only latency regression, with the gate's numbers in the audit", async () => {
    // A person starts a rollout once the last incident's alerts are over (a critical alert still
    // firing would abort the new rollout at its first look, as it should).
    await eventually(
      async () =>
        (await daemonRule(stack.daemon.url, 'ai_service_failure')).state === 'inactive'
          ? true
          : undefined,
      { what: 'ai_service_failure to resolve', timeoutMs: 60_000, intervalMs: 500 },
    );
    await resetFlag();
    const since = Date.now();
    const started = await rolloutCli(stack.daemon.url, 'start', '--time-scale', String(SCALE));
    expect(started.code, started.stderr).toBe(0);
    await waitForState('at step 3 (quarter)', atStep(2), 180_000);
    // Every LLM call 1.2 s slower: only AI searches call the LLM, so only the flag-on cohort slows.
    stack.sim.setFaults({ errorRate: 0, latencyMs: 1200 });
    try {
      const aborted = await waitForState('aborted', (s) => s.phase === 'aborted', 90_000);
      printTimeline(aborted, since);
      expect(aborted.state).toMatchObject({ phase: 'aborted', step: 2 });
      const reason = (aborted.state as { reason: string }).reason;
      expect(reason).toMatch(
        /^step 3 \(25% public\): gates failed: latency_mean: failed \(difference [\d.]+, one-sided lower bound [\d.]+ \(n \d+\) > \+0\.5: the whole interval is worse\)/,
      );
      expect((await stack.flags.getRollout(AI_FLAG))?.enabled).toBe(false);
      const last = (await stack.flags.history({ flag: AI_FLAG })).at(-1)!;
      expect(last).toMatchObject({ actor: 'canary-rollout', reason });
      expect(last.context?.gates).toContainEqual(
        expect.objectContaining({ gate: 'latency_mean', verdict: 'failed' }),
      );
    } finally {
      stack.sim.setFaults({ errorRate: 0, latencyMs: 0 });
    }
  });
});
