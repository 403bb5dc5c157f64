// Failure drills on the whole system (real service, daemon, Prometheus and simulator; fast-mode
// rules): what the rollback does when the pieces around it fail. One stack, three drills in order,
// each ending with the rollout resumed by a person and the alert quiet again:
// 1. Prometheus dies during an incident: no false rollback, the daemon says so, and it recovers.
// 2. The daemon is SIGKILLed while the alert is pending: after a restart it rolls back on time, once.
// 3. The flag file cannot be written when the rollback fires: retries, loud logs, success later.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  daemonActions,
  daemonHealth,
  daemonMetric,
  daemonRule,
  logLinesSince,
  watchRuleState,
} from './support/daemon-api.js';
import {
  AI_FLAG,
  INTERVAL_MS,
  ROLLBACK_FOR_MS,
  startE2eStack,
  stackOutput,
  waitForAiTraffic,
  type E2eStack,
} from './support/e2e-stack.js';
import { daemonRollbacks, resumeRollout, waitForRollback } from './support/rollback-watch.js';
import { usersOfEverySegment } from './support/segment-users.js';
import { startSteadyTraffic, type SteadyTraffic } from './support/steady-traffic.js';
import { makeUnwritable } from './support/unwritable-folder.js';
import { eventually } from '../harness/index.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { STATE_FILE_NAME } from '../../src/canary/engine/state-store.js';

const RULE = 'ai_service_failure';
/** The longest range ai_service_failure reads (`[15m]`, its evidence window), in fast mode. */
const LONGEST_WINDOW_MS = 15_000;
let stack: E2eStack;
let traffic: SteadyTraffic;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stack = await startE2eStack({ seed: 23 });
  traffic = startSteadyTraffic({
    serviceUrl: stack.serviceUrl,
    users: usersOfEverySegment(20),
    perSecond: 20,
  });
  await waitForAiTraffic(stack);
});

afterAll(async () => {
  await traffic?.stop();
  await stack?.stop();
});

/** The rule in `state`, with an instance that became active after `since` if given. */
async function waitForState(state: string, since = 0, timeoutMs = 30_000) {
  return eventually(
    async () => {
      const r = await daemonRule(stack.daemon.url, RULE);
      const fresh = r.instances.some((i) => Date.parse(i.activeAt) >= since);
      return r.state === state && (since === 0 || fresh) ? r : undefined;
    },
    { what: `${RULE} ${state} in the daemon`, timeoutMs, intervalMs: 100 },
  );
}

/** Ends an incident: no more faults, the flag back on, AI traffic above the guard, alert quiet. */
async function endIncident(): Promise<void> {
  stack.setAiErrorRate(0);
  if ((await stack.flags.getRollout(AI_FLAG))?.enabled === false) await resumeRollout(stack);
  await waitForAiTraffic(stack);
  await eventually(
    async () => {
      const [r] = await stack.prom.query('ai_search:ai_error_ratio:rate5m');
      return r && r.value < 0.05 ? true : undefined;
    },
    { what: 'the AI error ratio back under 5%' },
  );
  await waitForState('inactive');
}

function unreachableNotices(status: string): unknown[] {
  return stack.webhook.requests.filter(
    (r) =>
      r.path === '/dev' &&
      JSON.stringify(r.body).includes('CanaryPrometheusUnreachable') &&
      (r.body as { status: string }).status === status,
  );
}

/** The daemon's log lines about rollback attempts that failed, since `since`. */
function failedAttemptsSince(since: number) {
  return logLinesSince(stack.daemon.proc.output(), since).filter((l) =>
    l.msg.startsWith(`rollback of ${AI_FLAG} did not hold yet`),
  );
}

describe('failure drills', () => {
  it('Prometheus down during an incident: no false rollback, the daemon reports it, and recovers', async () => {
    const since = Date.now();
    stack.setAiErrorRate(0.3);
    const pending = await waitForState('pending', since);
    const errorsBefore = await daemonMetric(stack.daemon.url, 'canary_prometheus_errors_total');
    await stack.prom.pause();
    // The incident ends while nobody can see it; the outage outlasts `for` and every window the
    // rule reads (its longest, the 15m evidence window, is 15 s in fast mode): once Prometheus is
    // back, nothing it holds still shows the incident.
    stack.setAiErrorRate(0);
    const downAt = Date.now();
    await eventually(() => (unreachableNotices('firing').length > 0 ? true : undefined), {
      what: 'CanaryPrometheusUnreachable at the dev-team webhook',
    });
    await sleep(
      Math.max(0, downAt + Math.max(ROLLBACK_FOR_MS, LONGEST_WINDOW_MS) + 2000 - Date.now()),
    );

    const health = await daemonHealth(stack.daemon.url);
    expect(health).toMatchObject({ status: 'degraded', prometheus: 'err' });
    expect(health.lastError).toBeTruthy();
    const during = await daemonRule(stack.daemon.url, RULE);
    // A failed query changes no state: still pending with the same activeAt, never fired.
    expect(during).toMatchObject({ state: 'pending', health: 'err' });
    expect(during.lastError).toBeTruthy();
    expect(during.instances[0]?.activeAt).toBe(pending.instances[0]?.activeAt);
    expect(await daemonMetric(stack.daemon.url, 'canary_prometheus_errors_total')).toBeGreaterThan(
      errorsBefore,
    );
    expect((await stack.flags.getRollout(AI_FLAG))?.enabled).toBe(true);

    const watch = watchRuleState(() => stack.daemon.url, RULE);
    try {
      await stack.prom.start();
      await eventually(
        async () => ((await daemonHealth(stack.daemon.url)).prometheus === 'ok' ? true : undefined),
        { what: 'the daemon to see Prometheus again' },
      );
      await eventually(() => (unreachableNotices('resolved').length > 0 ? true : undefined), {
        what: 'CanaryPrometheusUnreachable resolved at the dev-team webhook',
      });
      // Each group recovers at its own next slot.
      await eventually(
        async () => ((await daemonRule(stack.daemon.url, RULE)).health === 'ok' ? true : undefined),
        { what: `${RULE} evaluated again` },
      );
      await sleep(2 * ROLLBACK_FOR_MS);
    } finally {
      watch.stop();
    }
    expect(watch.seen.has('firing'), stackOutput(stack)).toBe(false);
    expect((await stack.flags.getRollout(AI_FLAG))?.enabled).toBe(true);
    expect(await daemonRollbacks(stack)).toEqual([]);
    await endIncident();
  });

  it('daemon SIGKILLed while the alert is pending: after a restart it rolls back on time, once', async () => {
    const since = Date.now();
    stack.setAiErrorRate(0.3);
    const pending = await waitForState('pending', since);
    // Kill once the pending instance is on disk: that is what a restart can know about.
    const activeAtMs = Date.parse(pending.instances[0]!.activeAt);
    await eventually(
      async () => {
        const text = await readFile(path.join(stack.dir, STATE_FILE_NAME), 'utf8').catch(() => '');
        return text.includes(`"activeAt":${activeAtMs}`) ? true : undefined;
      },
      { what: 'the pending instance in the state file', intervalMs: 50 },
    );
    await stack.daemon.proc.kill('SIGKILL');
    const restarted = await stack.restartDaemon();
    const restored = await daemonRule(restarted.url, RULE);
    expect(restored.instances[0]?.activeAt).toBe(pending.instances[0]?.activeAt);

    const rollback = await waitForRollback(stack, since);
    expect(rollback.activeAt).toBe(Date.parse(pending.instances[0]!.activeAt));
    // On time: `for` after the original activeAt (or the restart, if that took longer), plus at
    // most one interval and one second.
    const due = Math.max(rollback.activeAt + ROLLBACK_FOR_MS, restarted.readyAt);
    expect(rollback.offAt - due, stackOutput(stack)).toBeLessThanOrEqual(INTERVAL_MS + 1000);

    await sleep(3 * INTERVAL_MS);
    expect(await daemonRollbacks(stack, since)).toHaveLength(1);
    const done = (await daemonActions(restarted.url)).filter(
      (a) => a.action === 'immediate_rollback' && a.outcome === 'success',
    );
    expect(done).toHaveLength(1);
    await endIncident();
  });

  it('flag file unwritable when the rollback fires: retries with loud logs, succeeds once writable', async () => {
    const since = Date.now();
    stack.setAiErrorRate(0.3);
    await waitForState('pending', since);
    const failedAttempts = () => failedAttemptsSince(since);
    const folder = makeUnwritable(path.dirname(stack.flagsFile));
    let restoredAt: number;
    try {
      await waitForState('firing');
      // Failed attempts, each logged with its reason: WARN at first (a lock held for a moment is
      // ordinary), ERROR from the third on (someone must act), while the alert is firing.
      await eventually(
        () => (failedAttempts().some((l) => l.msg.includes('(attempt 3)')) ? true : undefined),
        { what: `three failed rollback attempts (${folder.method}) in the daemon log` },
      );
      expect(await daemonRollbacks(stack, since)).toEqual([]);
      expect((await daemonRule(stack.daemon.url, RULE)).state).toBe('firing');
    } finally {
      folder.restore();
      restoredAt = Date.now();
    }
    const attempts = failedAttempts();
    expect(attempts.slice(0, 3).map((l) => l.level)).toEqual([40, 40, 50]);
    expect(attempts[0]!.msg).toMatch(/operation not permitted|EPERM|EACCES|permission denied/i);

    const rollback = await waitForRollback(stack, since);
    expect(rollback.offAt).toBeGreaterThanOrEqual(restoredAt);
    const [done] = (await daemonActions(stack.daemon.url)).filter(
      (a) => a.action === 'immediate_rollback' && Date.parse(a.time) >= since,
    );
    expect(done).toMatchObject({ outcome: 'success', rule: RULE });
    expect(done!.attempts).toBeGreaterThanOrEqual(4);
    await sleep(3 * INTERVAL_MS);
    expect(await daemonRollbacks(stack, since)).toHaveLength(1);
  });
});
