// The daemon's web layer renders from one published snapshot and nothing else: what a request
// sees changes only when a new snapshot is published (after an evaluation, a reload or an action
// record), and a published snapshot cannot be changed by anyone holding it.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthView, RulesView } from '../../src/canary/http/api-view.js';
import { buildHttpServer } from '../../src/canary/http/http-server.js';
import { DaemonMetrics } from '../../src/canary/metrics.js';
import { Ring, type ActionRecord } from '../../src/canary/actions/action-record.js';
import { evaluateRule } from '../../src/canary/engine/evaluator.js';
import { PrometheusWatch } from '../../src/canary/engine/prometheus-watch.js';
import {
  buildStatusSnapshot,
  StatusBoard,
  type StatusSnapshot,
  type StatusSources,
} from '../../src/canary/http/status-snapshot.js';
import { alertRule, group } from '../fakes/rule-fixtures.js';
import { collectingLogger } from '../fakes/collecting-logger.js';
import {
  startTestDaemon,
  writeRules,
  ROLLBACK_RULE,
  type TestDaemon,
} from '../fakes/daemon-harness.js';

function snapshot(n: number): StatusSnapshot {
  const rules: RulesView = {
    rules: [],
    reload: null,
    recordedSeries: { checked: true, missing: [], awaitingData: [], error: undefined },
    dryRun: false,
    prometheus: { url: `http://prometheus-${n}:9090`, consecutiveFailures: n },
  };
  const health: HealthView = {
    status: n === 0 ? 'ok' : 'degraded',
    prometheus: n === 0 ? 'ok' : 'err',
    lastError: n === 0 ? null : `failure ${n}`,
    rulesReload: 'ok',
    missingRecordedSeries: [],
    awaitingRecordedSeries: [],
    ruleEvaluation: 'ok',
    failingRules: [],
  };
  const action = (i: number) => ({ id: `a${i}`, detail: `action ${i}` }) as ActionRecord;
  return { rules, health, actions: [action(3), action(2), action(1)], rollout: null };
}

describe('the web layer renders the published snapshot', () => {
  it('serves /api/rules, /healthz, /api/actions and the page from it, until the next publish', async () => {
    let n = 0;
    const board = new StatusBoard(() => snapshot(n));
    const app = buildHttpServer({
      logger: collectingLogger().logger,
      metrics: new DaemonMetrics(),
      adminToken: undefined,
      status: () => board.snapshot,
      reload: () => Promise.resolve({ ok: false, errors: ['unused'] }),
    });
    const get = async (url: string) => (await app.inject({ method: 'GET', url })).json();
    expect(await get('/healthz')).toMatchObject({ status: 'ok', lastError: null });
    n = 1; // the live state moved on, but nothing was published: requests still see the old one
    expect(await get('/healthz')).toMatchObject({ status: 'ok' });
    board.publish();
    expect(await get('/healthz')).toMatchObject({ status: 'degraded', lastError: 'failure 1' });
    expect(await get('/api/rules')).toMatchObject({
      prometheus: { url: 'http://prometheus-1:9090', consecutiveFailures: 1 },
    });
    expect(await get('/api/actions?limit=2')).toEqual({
      actions: [
        { id: 'a3', detail: 'action 3' },
        { id: 'a2', detail: 'action 2' },
      ],
    });
    const page = (await app.inject({ method: 'GET', url: '/' })).body;
    expect(page).toContain('Prometheus (http://prometheus-1:9090) is failing: failure 1');
    expect(page).toContain('action 1');
    await app.close();
  });
});

describe('a running daemon publishes after each evaluation and action record', () => {
  let dir = '';
  let d: TestDaemon;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'canary-snapshot-'));
    const rulesFile = path.join(dir, 'rules.yml');
    await writeRules(rulesFile, ROLLBACK_RULE.replace('for: 5s', 'for: 0s'));
    d = await startTestDaemon({ dir, ruleFiles: [rulesFile] });
  });
  afterAll(async () => {
    await d?.daemon.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shows each evaluation and each action record without a request reaching the live state', async () => {
    d.prom.value('ai_error_ratio', 0.5);
    await d.step(2);
    expect(await d.rule('ai_service_failure')).toMatchObject({ state: 'firing', value: 0.5 });
    // The rollback's record is published when it is written, not at the next evaluation.
    const recorded = async () =>
      ((await (await d.get('/api/actions')).json()) as { actions: ActionRecord[] }).actions;
    for (let i = 0; i < 200 && (await recorded()).length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect((await recorded())[0]).toMatchObject({
      action: 'immediate_rollback',
      outcome: 'success',
    });
  });
});

describe('StatusBoard', () => {
  it('builds on first use and keeps one object until the next publish', () => {
    let built = 0;
    const board = new StatusBoard(() => {
      built++;
      return snapshot(built);
    });
    const first = board.snapshot;
    expect(board.snapshot).toBe(first);
    board.publish();
    expect(board.snapshot).not.toBe(first);
    expect(built).toBe(2);
  });
});

describe('buildStatusSnapshot', () => {
  it('is frozen all the way down, and later changes to the live state do not reach it', () => {
    const rule = alertRule('ai_service_failure', { action: 'immediate_rollback' });
    const actions = new Ring<ActionRecord>(10);
    actions.push({ id: 'a1', detail: 'first' } as ActionRecord);
    const sources = {
      daemon: {
        groups: [group('g', [rule])],
        ruleIds: new Map([[rule, 'g::ai_service_failure']]),
        lastReload: undefined,
        seriesCheck: { checked: true, missing: [], awaitingData: [], error: undefined },
        lastGroupResults: new Map(),
      },
      store: { getRule: () => undefined, actions },
      engine: { currentValues: new Map(), stuckRules: () => [] },
      watch: new PrometheusWatch({
        threshold: 3,
        runner: { afterEvaluation: () => undefined } as never,
        logger: collectingLogger().logger,
        prometheusUrl: 'http://prom',
        evaluate: evaluateRule,
      }),
      dryRun: false,
      prometheusUrl: 'http://prom',
    } as unknown as StatusSources;
    const snap = buildStatusSnapshot(sources);
    expect(snap.rules.rules.map((r) => r.name)).toEqual([
      'ai_service_failure',
      'CanaryPrometheusUnreachable',
    ]);
    expect(Object.isFrozen(snap)).toBe(true);
    expect(Object.isFrozen(snap.rules.rules[0]!.labels)).toBe(true);
    expect(Object.isFrozen(snap.actions[0])).toBe(true);
    expect(snap.rollout).toBeNull(); // no rollout driver among the sources
    expect(() => {
      (snap.health as { status: string }).status = 'ok';
    }).toThrow(TypeError);
    actions.push({ id: 'a2', detail: 'second' } as ActionRecord);
    expect(snap.actions.map((a) => a.id)).toEqual(['a1']);
    expect(buildStatusSnapshot(sources).actions.map((a) => a.id)).toEqual(['a2', 'a1']);
  });
});
