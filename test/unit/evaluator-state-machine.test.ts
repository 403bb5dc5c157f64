// The evaluator stepped through time, table by table, as Prometheus's own alerting tests do:
// each step is an evaluation at minute `t` with a query result, and the expected state after it.
import { describe, expect, it } from 'vitest';
import {
  alertKey,
  evaluateRule,
  initialRuleState,
  RESOLVED_RETENTION_MS,
} from '../../src/canary/engine/evaluator.js';
import type { AlertingRule, QueryResult, RuleState, Sample } from '../../src/canary/types.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);

function rule(over: Partial<AlertingRule> = {}): AlertingRule {
  return {
    kind: 'alert',
    name: 'ai_service_failure',
    expr: 'ratio > 0.1',
    forMs: 5 * MIN,
    keepFiringForMs: 0,
    labels: { severity: 'critical' },
    annotations: { summary: 'at {{ $value | humanizePercentage }}' },
    action: undefined,
    flag: undefined,
    notify: undefined,
    threshold: undefined,
    pos: { file: 'test.yml', line: 1, col: 1 },
    ...over,
  };
}

const up = (value = 0.2): QueryResult => ({ ok: true, samples: [{ labels: {}, value }] });
const down: QueryResult = { ok: true, samples: [] };
const err: QueryResult = { ok: false, error: 'Prometheus: connection refused' };

type Seen = 'none' | 'pending' | 'firing' | 'resolved';
type Step = readonly [minute: number, result: QueryResult, expected: Seen, transitions?: string];

/** Runs the steps; checks the single instance's state and the transitions ("from>to" joined by ","). */
function run(r: AlertingRule, steps: readonly Step[]): RuleState {
  let state: RuleState | undefined;
  for (const [minute, result, expected, transitions = ''] of steps) {
    const out = evaluateRule(r, result, T0 + minute * MIN, state);
    state = out.state;
    const instances = [...state.instances.values()];
    expect(instances.length, `instances at ${minute}m`).toBeLessThanOrEqual(1);
    expect(instances[0]?.state ?? 'none', `state at ${minute}m`).toBe(expected);
    expect(
      out.transitions.map((t) => `${t.from}>${t.to}`).join(','),
      `transitions at ${minute}m`,
    ).toBe(transitions);
  }
  return state as RuleState;
}

describe('pending and firing, as Prometheus', () => {
  it.each<[string, Partial<AlertingRule>, Step[]]>([
    [
      'for: 5m fires when 5m have passed since activeAt, not before',
      {},
      [
        [0, up(), 'pending', 'inactive>pending'],
        [1, up(), 'pending'],
        [4, up(), 'pending'],
        [5, up(), 'firing', 'pending>firing'],
        [6, up(), 'firing'],
      ],
    ],
    [
      'for: 0 fires at the first evaluation',
      { forMs: 0 },
      [[0, up(), 'firing', 'inactive>pending,pending>firing']],
    ],
    [
      'a pending alert absent once is dropped; when it returns, for starts again',
      {},
      [
        [0, up(), 'pending', 'inactive>pending'],
        [3, down, 'none', 'pending>inactive'],
        [4, up(), 'pending', 'inactive>pending'],
        [8, up(), 'pending'],
        [9, up(), 'firing', 'pending>firing'],
      ],
    ],
    [
      'flapping around the threshold never fires',
      { forMs: 2 * MIN },
      [
        [0, up(), 'pending', 'inactive>pending'],
        [1, down, 'none', 'pending>inactive'],
        [2, up(), 'pending', 'inactive>pending'],
        [3, down, 'none', 'pending>inactive'],
        [4, up(), 'pending', 'inactive>pending'],
        [5, down, 'none', 'pending>inactive'],
      ],
    ],
    [
      'a firing alert absent becomes resolved; it comes back as a new pending alert',
      {},
      [
        [0, up(), 'pending', 'inactive>pending'],
        [5, up(), 'firing', 'pending>firing'],
        [6, down, 'resolved', 'firing>resolved'],
        [7, up(), 'pending', 'resolved>pending'],
        [11, up(), 'pending'],
        [12, up(), 'firing', 'pending>firing'],
      ],
    ],
    [
      'a resolved alert is kept 15m for its resolve notification, then removed',
      { forMs: 0 },
      [
        [0, up(), 'firing', 'inactive>pending,pending>firing'],
        [1, down, 'resolved', 'firing>resolved'],
        [16, down, 'resolved'],
        [17, down, 'none', 'resolved>inactive'],
      ],
    ],
    [
      'keep_firing_for holds a firing alert after its condition clears',
      { forMs: 0, keepFiringForMs: 10 * MIN },
      [
        [0, up(), 'firing', 'inactive>pending,pending>firing'],
        [1, down, 'firing'],
        [10, down, 'firing'],
        [11, down, 'resolved', 'firing>resolved'],
      ],
    ],
    [
      'keep_firing_for restarts when the condition returns in between',
      { forMs: 0, keepFiringForMs: 10 * MIN },
      [
        [0, up(), 'firing', 'inactive>pending,pending>firing'],
        [5, down, 'firing'],
        [6, up(), 'firing'],
        [7, down, 'firing'],
        [16, down, 'firing'],
        [17, down, 'resolved', 'firing>resolved'],
      ],
    ],
    [
      'keep_firing_for does not hold a pending alert',
      { keepFiringForMs: 10 * MIN },
      [
        [0, up(), 'pending', 'inactive>pending'],
        [1, down, 'none', 'pending>inactive'],
      ],
    ],
    [
      'a failed query changes nothing: for progress survives, nothing resolves',
      {},
      [
        [0, up(), 'pending', 'inactive>pending'],
        [1, err, 'pending'],
        [2, err, 'pending'],
        [5, up(), 'firing', 'pending>firing'],
        [6, err, 'firing'],
        [30, err, 'firing'],
        [31, down, 'resolved', 'firing>resolved'],
      ],
    ],
    [
      'NaN: a returned sample is active whatever its value; a comparison that drops it resolves',
      { forMs: 0 },
      [
        [0, up(NaN), 'firing', 'inactive>pending,pending>firing'],
        [1, down, 'resolved', 'firing>resolved'],
      ],
    ],
  ])('%s', (_name, over, steps) => {
    run(rule(over), steps);
  });
});

describe('health, values and annotations', () => {
  it('a failed query sets health err and lastError and keeps the instances object', () => {
    const r = rule();
    const before = evaluateRule(r, up(), T0, undefined).state;
    const after = evaluateRule(r, err, T0 + MIN, before);
    expect(after.transitions).toEqual([]);
    expect(after.state.instances).toBe(before.instances);
    expect(after.state).toMatchObject({
      health: 'err',
      lastError: 'Prometheus: connection refused',
      lastEvaluation: T0 + MIN,
    });
    const recovered = evaluateRule(r, up(), T0 + 2 * MIN, after.state).state;
    expect(recovered).toMatchObject({ health: 'ok', lastError: undefined });
  });

  it('starts unknown, and becomes ok after a good evaluation with no data', () => {
    expect(initialRuleState()).toMatchObject({ health: 'unknown', lastEvaluation: undefined });
    expect(evaluateRule(rule(), down, T0, undefined).state).toMatchObject({
      health: 'ok',
      lastEvaluation: T0,
    });
  });

  it('keeps activeAt, refreshes the value and re-expands annotations at each evaluation', () => {
    const r = rule();
    let state = evaluateRule(r, up(0.2), T0, undefined).state;
    state = evaluateRule(r, up(0.35), T0 + MIN, state).state;
    const [inst] = state.instances.values();
    expect(inst).toMatchObject({
      activeAt: T0,
      value: 0.35,
      lastSeenAt: T0 + MIN,
      annotations: { summary: 'at 35%' },
    });
  });

  it('records firedAt, resolvedAt and keepFiringSince', () => {
    const r = rule({ forMs: MIN, keepFiringForMs: 2 * MIN });
    let state = evaluateRule(r, up(), T0, undefined).state;
    state = evaluateRule(r, up(), T0 + MIN, state).state;
    expect([...state.instances.values()][0]).toMatchObject({
      firedAt: T0 + MIN,
      resolvedAt: undefined,
    });
    state = evaluateRule(r, down, T0 + 2 * MIN, state).state;
    expect([...state.instances.values()][0]).toMatchObject({
      state: 'firing',
      keepFiringSince: T0 + 2 * MIN,
    });
    state = evaluateRule(r, down, T0 + 4 * MIN, state).state;
    expect([...state.instances.values()][0]).toMatchObject({
      state: 'resolved',
      resolvedAt: T0 + 4 * MIN,
      keepFiringSince: undefined,
      lastSeenAt: T0 + MIN,
    });
  });

  it("retention is exactly Prometheus's 15 minutes", () => {
    expect(RESOLVED_RETENTION_MS).toBe(15 * MIN);
  });
});

describe('label sets', () => {
  const series = (route: string, value = 0.2): Sample => ({
    labels: { __name__: 'ratio', route },
    value,
  });

  it('keeps one instance per label set, each with its own activeAt', () => {
    const r = rule({ forMs: 2 * MIN });
    let state = evaluateRule(r, { ok: true, samples: [series('/a')] }, T0, undefined).state;
    state = evaluateRule(
      r,
      { ok: true, samples: [series('/a'), series('/b')] },
      T0 + MIN,
      state,
    ).state;
    const out = evaluateRule(r, { ok: true, samples: [series('/b')] }, T0 + 2 * MIN, state);
    expect(out.transitions.map((t) => `${t.instance.labels['route']}:${t.from}>${t.to}`)).toEqual([
      '/a:pending>inactive',
    ]);
    const next = evaluateRule(r, { ok: true, samples: [series('/b')] }, T0 + 3 * MIN, out.state);
    expect(
      [...next.state.instances.values()].map((i) => [i.labels['route'], i.state, i.activeAt]),
    ).toEqual([['/b', 'firing', T0 + MIN]]);
  });

  it('builds labels as Prometheus: series minus __name__, rule labels win, empty removes, plus alertname', () => {
    const r = rule({
      forMs: 0,
      labels: { severity: 'critical', route: 'fixed', instance: '', team: '{{ $labels.owner }}' },
    });
    const sample: Sample = {
      labels: { __name__: 'x', route: '/a', instance: 'i1', owner: 'dev', job: 'svc' },
      value: 1,
    };
    const [inst] = evaluateRule(
      r,
      { ok: true, samples: [sample] },
      T0,
      undefined,
    ).state.instances.values();
    expect(inst?.labels).toEqual({
      alertname: 'ai_service_failure',
      job: 'svc',
      owner: 'dev',
      route: 'fixed',
      severity: 'critical',
      team: 'dev',
    });
    expect(inst?.key).toBe(alertKey(inst!.labels));
    expect(inst?.key).toBe(
      'alertname="ai_service_failure",job="svc",owner="dev",route="fixed",severity="critical",team="dev"',
    );
  });

  it('two series with one label set after the rule labels are an error that changes nothing', () => {
    const r = rule({ labels: { route: 'fixed' } });
    const before = evaluateRule(r, up(), T0, undefined).state;
    const out = evaluateRule(
      r,
      { ok: true, samples: [series('/a'), series('/b')] },
      T0 + MIN,
      before,
    );
    expect(out.state.instances).toBe(before.instances);
    expect(out.state.health).toBe('err');
    expect(out.state.lastError).toMatch(/same labelset after applying alert labels/);
  });
});
