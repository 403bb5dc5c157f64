// The daemon's rollout shell with a fake clock, a Prometheus that answers the cohort queries from
// a script, and the real file flag store in a temporary folder: flag writes go through
// FlagStore.update with the core's reason, the state survives a new driver on the same folder,
// a person's change pauses it, only the leader acts, and a broken state file is set aside.
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../../src/canary/metrics.js';
import type {
  PrometheusClient,
  QueryOutcome,
} from '../../src/canary/prometheus/prometheus-client.js';
import { cohortsFromSamples } from '../../src/canary/rollout/cohort-queries.js';
import type { Leadership } from '../../src/canary/rollout/leadership.js';
import { localLeadership } from '../../src/canary/rollout/leadership.js';
import { ROLLOUT_ACTOR, RolloutDriver } from '../../src/canary/rollout/rollout-driver.js';
import { ROLLOUT_STATE_FILE, RolloutStore } from '../../src/canary/rollout/rollout-store.js';
import type { Sample } from '../../src/canary/types.js';
import { createFileFlagStore, type FileFlagStore } from '../../src/flags/file-flag-store.js';
import type { ActiveAlert } from '../../src/rollout/gates.js';
import { FakeClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { buildHttpServer } from '../../src/canary/http/http-server.js';
import { renderRolloutSection } from '../../src/canary/rollout/rollout-status-section.js';
import type { RolloutView } from '../../src/canary/rollout/rollout-view.js';
import { StatusBoard } from '../../src/canary/http/status-snapshot.js';
import type { HealthView, RulesView } from '../../src/canary/http/api-view.js';

const V = 'feature_flag_result_variant';
const PLAN = path.resolve('rollouts/ai-search.yml');
const logger = createLogger({ name: 'test', level: 'silent' });

/** Healthy cohorts, whatever the window: plenty of searches, no failures, equal latency. */
function healthy(expr: string): Sample[] {
  if (expr.includes('ai_search_searches_total')) {
    return [
      { labels: { [V]: 'on', outcome: 'success' }, value: 20_000 },
      { labels: { [V]: 'off', outcome: 'success' }, value: 50_000 },
    ];
  }
  if (expr.includes('_bucket')) {
    return ['on', 'off'].flatMap((v) => [
      { labels: { [V]: v, le: '0.5' }, value: v === 'on' ? 10_000 : 25_000 },
      { labels: { [V]: v, le: '1' }, value: v === 'on' ? 20_000 : 50_000 },
      // The shipped plan's latency_p95 threshold: without this bound its gate would block.
      { labels: { [V]: v, le: '30' }, value: v === 'on' ? 20_000 : 50_000 },
      { labels: { [V]: v, le: '+Inf' }, value: v === 'on' ? 20_000 : 50_000 },
    ]);
  }
  if (expr.includes('_sum')) {
    return [
      { labels: { [V]: 'on' }, value: 0.5 * 20_000 },
      { labels: { [V]: 'off' }, value: 0.5 * 50_000 },
    ];
  }
  return [];
}

const T0 = Date.parse('2026-01-01T00:00:00Z');
/** The distinct-users counter: one new flag-on user per millisecond since T0. */
const usersAt = (at: number): Sample[] => [{ labels: { [V]: 'on' }, value: at - T0 }];

class CohortPrometheus implements PrometheusClient {
  readonly url = 'http://cohorts';
  answer: (expr: string) => Sample[] = healthy;
  async query(expr: string, at: number): Promise<QueryOutcome> {
    const users = expr.includes('ai_search_cohort_users_total');
    return { ok: true, samples: users ? usersAt(at) : this.answer(expr) };
  }
  queryMany(exprs: readonly string[], at: number): Promise<QueryOutcome[]> {
    return Promise.all(exprs.map((e) => this.query(e, at)));
  }
  async knownSeries() {
    return { ok: true as const, missing: [], awaitingData: [] };
  }
  close(): void {}
}

let dir: string;
let clock: FakeClock;
let flags: FileFlagStore;
let prom: CohortPrometheus;
let alerts: ActiveAlert[];

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rollout-driver-'));
  clock = new FakeClock(T0);
  flags = createFileFlagStore({
    path: path.join(dir, 'flags.json'),
    bootstrap: {
      aiSearchEnabled: false,
      rolloutPercentage: 0,
      internalUsers: false,
      betaUsers: false,
    },
    logger,
    clock,
  });
  await flags.ensureFlagFile();
  prom = new CohortPrometheus();
  alerts = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function driver(
  leadership: Leadership = localLeadership,
  metrics = new DaemonMetrics({ defaultMetrics: false }),
  onPublished?: () => void,
) {
  const d = new RolloutDriver({
    store: await RolloutStore.open(dir, clock, logger),
    flags,
    prometheus: prom,
    alerts: () => alerts,
    leadership,
    clock,
    logger,
    metrics,
    intervalMs: 1000,
    defaultPlanFile: PLAN,
    dryRun: false,
    onPublished,
  });
  return d;
}

const S = 1000;

describe('the rollout driver', () => {
  it('writes each step through the flag store with the reason, one step per hold', async () => {
    const d = await driver();
    const r = await d.command('start', 'alice', { timeScale: 8640 });
    expect(r.ok).toBe(true);
    expect(await flags.getRollout('ai-search-enabled')).toEqual({
      enabled: true,
      percentages: { 'internal-users': 1, 'beta-users': 0, default: 0 },
    });
    await clock.advance(5 * S);
    await d.look();
    expect(d.view().state).toMatchObject({ phase: 'progressing', step: 0 });
    await clock.advance(5 * S);
    await d.look();
    expect(d.view().state).toMatchObject({ phase: 'progressing', step: 1 });
    expect((await flags.getRollout('ai-search-enabled'))?.percentages['beta-users']).toBe(10);
    const audit = await flags.history({ flag: 'ai-search-enabled' });
    expect(audit.map((e) => [e.actor, e.reason.replace(/: gates passed.*/, '')])).toEqual([
      [ROLLOUT_ACTOR, 'rollout started by alice: step 1 (1% internal-users)'],
      [ROLLOUT_ACTOR, 'promoted to step 2 (10% beta-users)'],
    ]);
    expect(audit[1]!.reason).toMatch(/gates passed: alerts: pass .*error_ratio: pass/);
    expect(d.view().timeline.at(-1)?.sample).toEqual({ searches: 20_000, users: 10_000 });
  });

  it('keeps the state across a new driver on the same folder: same step, same end of hold', async () => {
    const first = await driver();
    await first.command('start', 'alice', { timeScale: 8640 });
    const before = first.view().state;
    await first.stop();
    const second = await driver();
    await second.start();
    expect(second.view().state).toEqual(before);
    expect(second.view().plan?.steps[0]?.holdMs).toBe(10 * S);
    await clock.advance(10 * S);
    await second.look();
    await second.stop();
    expect(second.view().state).toMatchObject({ phase: 'progressing', step: 1 });
  });

  it('pauses on a person’s flag change and never overrides it', async () => {
    const d = await driver();
    await d.command('start', 'alice', { timeScale: 8640 });
    await flags.update(
      { flag: 'ai-search-enabled', percentage: 40 },
      { actor: 'bob', reason: 'by hand' },
    );
    await clock.advance(20 * S);
    await d.look();
    expect(d.view().state).toMatchObject({
      phase: 'paused',
      reason: expect.stringMatching(/default is at 40%/),
    });
    expect((await flags.getRollout('ai-search-enabled'))?.percentages.default).toBe(40);
  });

  it('never promotes while a gate alert is pending, and aborts (flag off) when one fires', async () => {
    const d = await driver();
    await d.command('start', 'alice', { timeScale: 8640 });
    alerts = [{ name: 'ai_error_rate_above_target', severity: 'warning', state: 'pending' }];
    await clock.advance(30 * S);
    await d.look();
    expect(d.view().state).toMatchObject({ phase: 'progressing', step: 0 });
    expect(d.view().lastLook?.gates[0]).toMatchObject({ gate: 'alerts', verdict: 'blocked' });
    alerts = [{ name: 'ai_error_rate_above_target', severity: 'warning', state: 'firing' }];
    await d.look();
    expect(d.view().state).toMatchObject({ phase: 'aborted', step: 0 });
    expect((await flags.getRollout('ai-search-enabled'))?.enabled).toBe(false);
    const last = (await flags.history({ flag: 'ai-search-enabled' })).at(-1)!;
    expect(last.reason).toMatch(
      /gates failed: alerts: failed \(firing: ai_error_rate_above_target/,
    );
  });

  it('does not watch the alerts the plan ignores by name', async () => {
    const text = readFileSync(PLAN, 'utf8').replace(
      'severities: [critical, warning]',
      'severities: [critical, warning]\n    ignore: [canary_daemon_down]',
    );
    const file = path.join(dir, 'plan.yml');
    writeFileSync(file, text);
    const d = await driver();
    await d.command('start', 'alice', { timeScale: 8640, planFile: file });
    alerts = [{ name: 'canary_daemon_down', severity: 'critical', state: 'firing' }];
    await clock.advance(10 * S);
    await d.look();
    expect(d.view().state).toMatchObject({ phase: 'progressing', step: 1 });
    alerts = [{ name: 'ai_service_failure', severity: 'critical', state: 'firing' }];
    await d.look();
    expect(d.view().state).toMatchObject({ phase: 'aborted' });
  });

  it('does nothing when it is not the leader', async () => {
    let leader = true;
    const d = await driver({ isLeader: async () => leader, describe: () => 'test' });
    await d.command('start', 'alice', { timeScale: 8640 });
    leader = false;
    await clock.advance(30 * S);
    await d.look();
    expect(d.view()).toMatchObject({ leader: false, state: { phase: 'progressing', step: 0 } });
    expect(await d.command('pause', 'alice')).toMatchObject({ ok: false, status: 503 });
  });

  it('publishes the step, state and gate verdicts as metrics', async () => {
    const metrics = new DaemonMetrics({ defaultMetrics: false });
    const d = await driver(localLeadership, metrics);
    await d.command('start', 'alice', { timeScale: 8640 });
    await clock.advance(3 * S);
    await d.look();
    const text = await metrics.registry.metrics();
    expect(text).toContain('canary_rollout_step 1');
    expect(text).toContain('canary_rollout_state{state="progressing"} 1');
    expect(text).toContain('canary_rollout_hold_remaining_seconds 7');
    expect(text).toContain('canary_rollout_gate_verdict{gate="error_ratio",verdict="pass"} 1');
    expect(text).toContain('canary_rollout_percentage{segment="internal-users"} 1');
  });

  it.each([
    ['garbage', () => writeFileSync(path.join(dir, ROLLOUT_STATE_FILE), '{not json')],
    ['a symlink', () => symlinkSync('/etc/passwd', path.join(dir, ROLLOUT_STATE_FILE))],
  ])('sets %s state file aside and starts Pending (which writes nothing)', async (_, make) => {
    make();
    const d = await driver();
    await d.start();
    await d.stop();
    expect(d.view().state).toEqual({ phase: 'pending' });
    expect(readdirSync(dir).some((f) => f.startsWith(`${ROLLOUT_STATE_FILE}.corrupt-`))).toBe(true);
  });
});

describe('cohorts from the Prometheus answers', () => {
  it('splits by variant, counts error and degraded as failed, and estimates latency', () => {
    const out = cohortsFromSamples({
      searches: [
        { labels: { [V]: 'on', outcome: 'success' }, value: 80.4 },
        { labels: { [V]: 'on', outcome: 'degraded' }, value: 15 },
        { labels: { [V]: 'on', outcome: 'error' }, value: 5 },
        { labels: { [V]: 'off', outcome: 'success' }, value: 390 },
        { labels: { [V]: 'off', outcome: 'empty' }, value: 10 },
      ],
      buckets: [
        { labels: { [V]: 'on', le: '1' }, value: 50 },
        { labels: { [V]: 'on', le: '2' }, value: 100 },
        { labels: { [V]: 'on', le: '+Inf' }, value: 100 },
        { labels: { [V]: 'off', le: '1' }, value: 400 },
        { labels: { [V]: 'off', le: '+Inf' }, value: 400 },
      ],
      sums: [
        { labels: { [V]: 'on' }, value: 100 },
        { labels: { [V]: 'off' }, value: 200 },
      ],
      users: [{ labels: { [V]: 'on' }, value: 40 }],
      usersAtStart: [{ labels: { [V]: 'on' }, value: 27 }],
    });
    expect(out.sample).toEqual({ searches: 100, users: 13 });
    expect(out.cohorts.error_ratio).toEqual({
      kind: 'proportion',
      canary: { events: 20, trials: 100 },
      baseline: { events: 0, trials: 400 },
    });
    expect(out.cohorts.success_ratio).toMatchObject({ canary: { events: 80, trials: 100 } });
    // on: mean 1 s; 50 at midpoint 0.5, 50 at midpoint 1.5 → variance 0.25.
    expect(out.cohorts.latency_mean).toEqual({
      kind: 'mean',
      canary: { n: 100, mean: 1, variance: 0.25 },
      baseline: { n: 400, mean: 0.5, variance: 0 },
    });
    // The p95 gate gets the same buckets, sorted, ending at +Inf (the plan picks the threshold).
    expect(out.cohorts.latency_p95).toEqual({
      kind: 'exceedance',
      canary: {
        buckets: [
          { le: 1, cumulative: 50 },
          { le: 2, cumulative: 100 },
          { le: Infinity, cumulative: 100 },
        ],
      },
      baseline: {
        buckets: [
          { le: 1, cumulative: 400 },
          { le: Infinity, cumulative: 400 },
        ],
      },
    });
  });

  it("counts a step's users from the counter's value when the step started, or from a restart", () => {
    const users = (now: number, start: number) =>
      cohortsFromSamples({
        searches: [],
        buckets: [],
        sums: [],
        users: [{ labels: { [V]: 'on' }, value: now }],
        usersAtStart: [{ labels: { [V]: 'on' }, value: start }],
      }).sample.users;
    expect(users(40, 27)).toBe(13);
    expect(users(5, 27)).toBe(5); // the service restarted: its counter began again
  });

  it('leaves latency out when a cohort has no searches', () => {
    const out = cohortsFromSamples({
      searches: [],
      buckets: [],
      sums: [],
      users: [],
      usersAtStart: [],
    });
    expect(out.cohorts.latency_mean).toBeUndefined();
    expect(out.cohorts.latency_p95).toBeUndefined();
    expect(out.sample).toEqual({ searches: 0, users: 0 });
  });
});

describe('the rollout API and status section', () => {
  /** The rest of a status snapshot: no rules, Prometheus fine, no actions. */
  const QUIET = {
    rules: {
      rules: [],
      reload: null,
      recordedSeries: { checked: true, missing: [], awaitingData: [], error: undefined },
      dryRun: false,
      prometheus: { url: 'http://prom', consecutiveFailures: 0 },
    } satisfies RulesView,
    health: {
      status: 'ok',
      prometheus: 'ok',
      lastError: null,
      rulesReload: 'ok',
      missingRecordedSeries: [],
      awaitingRecordedSeries: [],
      ruleEvaluation: 'ok',
      failingRules: [],
    } satisfies HealthView,
    actions: [],
  };
  /** The daemon's wiring: the driver publishes, the web layer reads the published snapshot. */
  async function published() {
    const wired: { driver?: RolloutDriver } = {};
    const board = new StatusBoard(() => ({ ...QUIET, rollout: wired.driver?.view() ?? null }));
    const d = await driver(localLeadership, undefined, () => board.publish());
    wired.driver = d;
    return { d, board };
  }
  async function app(d: RolloutDriver | undefined, board: StatusBoard) {
    const a = buildHttpServer({
      logger,
      metrics: new DaemonMetrics({ defaultMetrics: false }),
      adminToken: 's3cret-token',
      status: () => board.snapshot,
      reload: async () => ({ ok: false, errors: [] }),
      rollout: d,
    });
    await a.ready();
    return a;
  }
  const auth = { authorization: 'Bearer s3cret-token' };

  it('needs the admin token for commands, reads the body strictly, and reports refusals', async () => {
    const { d, board } = await published();
    const a = await app(d, board);
    const post = (url: string, payload?: object, headers: Record<string, string> = auth) =>
      a.inject({ method: 'POST', url, payload, headers });
    expect((await post('/api/rollout/start', { timeScale: 8640 }, {})).statusCode).toBe(401);
    expect((await post('/api/rollout/launch', {})).statusCode).toBe(400);
    expect((await post('/api/rollout/start', { timeScale: 0.5 })).statusCode).toBe(400);
    expect((await post('/api/rollout/start', { plan: '/etc/passwd' })).statusCode).toBe(400);
    expect((await post('/api/rollout/pause', { timeScale: 2 })).statusCode).toBe(400);
    expect((await post('/api/rollout/start', { actor: 'a b<script>' })).statusCode).toBe(400);
    expect((await post('/api/rollout/pause', { actor: 'alice' })).json()).toEqual({
      error: 'no rollout has been started',
    });
    const started = await post('/api/rollout/start', { actor: 'alice', timeScale: 8640 });
    expect(started.statusCode).toBe(200);
    expect(started.json()).toMatchObject({ state: { phase: 'progressing', step: 0 } });
    expect((await post('/api/rollout/start', { actor: 'alice' })).statusCode).toBe(409);
    const got = await a.inject({ method: 'GET', url: '/api/rollout' });
    expect(got.json()).toMatchObject({ planRef: { file: PLAN, timeScale: 8640 } });
    await a.close();
  });

  it('shows the published snapshot: the hold left moves with each look, not with each request', async () => {
    const { d, board } = await published();
    const a = await app(d, board);
    const get = async () =>
      (await a.inject({ method: 'GET', url: '/api/rollout' })).json() as RolloutView;
    expect(await get()).toMatchObject({ planRef: null, state: { phase: 'pending' } });
    await d.command('start', 'alice', { timeScale: 8640 });
    expect(await get()).toMatchObject({ state: { phase: 'progressing' }, holdLeftMs: 10 * S });
    await clock.advance(4 * S); // time passes, but nothing looked (no loop runs here)
    expect((await get()).holdLeftMs).toBe(10 * S);
    await d.look();
    expect((await get()).holdLeftMs).toBe(6 * S);
    const page = (await a.inject({ method: 'GET', url: '/' })).body;
    expect(page).toContain('hold left: <b id="rollout-hold-left">6s</b>');
    await a.close();
  });

  it('answers 404 on GET /api/rollout and serves no commands when the daemon runs no rollout', async () => {
    const board = new StatusBoard(() => ({ ...QUIET, rollout: null }));
    const a = await app(undefined, board);
    const got = await a.inject({ method: 'GET', url: '/api/rollout' });
    expect(got.statusCode).toBe(404);
    expect(got.json()).toEqual({ error: 'this daemon runs no rollout plan' });
    const post = await a.inject({ method: 'POST', url: '/api/rollout/start', headers: auth });
    expect(post.statusCode).toBe(404);
    await a.close();
  });

  it('shows the plan, the step, the hold left and each gate with its numbers, escaped', async () => {
    const d = await driver();
    await d.command('start', 'alice', { timeScale: 8640 });
    alerts = [{ name: '<b>x</b>', severity: 'warning', state: 'pending' }];
    await clock.advance(4 * S);
    await d.look();
    const html = renderRolloutSection(d.view());
    expect(html).toContain('<b>progressing</b> at step 1');
    expect(html).toContain('hold left: <b id="rollout-hold-left">6s</b>');
    expect(html).toMatch(
      /<td>error_ratio<\/td><td [^>]*>pass<\/td><td>difference 0, one-sided lower bound/,
    );
    expect(html).toContain('pending: &#60;b&#62;x&#60;/b&#62; (warning)');
    expect(html).not.toContain('<b>x</b>');
  });
});
