// Invariants of the evaluator over random histories: random label sets present or absent, failed
// queries, random gaps between evaluations, random for / keep_firing_for.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateRule } from '../../src/canary/engine/evaluator.js';
import type { AlertingRule, QueryResult, RuleState } from '../../src/canary/types.js';

const MIN = 60_000;

const ruleArb = fc.record({
  forMs: fc.constantFrom(0, 1, 2, 5, 10).map((m) => m * MIN),
  keepFiringForMs: fc.constantFrom(0, 0, 3, 10).map((m) => m * MIN),
});

const stepArb = fc.record({
  gapMs: fc.integer({ min: 1_000, max: 4 * MIN }),
  result: fc.oneof(
    { weight: 1, arbitrary: fc.constant<QueryResult>({ ok: false, error: 'timeout' }) },
    {
      weight: 4,
      arbitrary: fc.subarray(['/a', '/b', '/c']).chain((routes) =>
        fc
          .tuple(
            ...routes.map(() =>
              fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(NaN)),
            ),
          )
          .map((values): QueryResult => ({
            ok: true,
            samples: routes.map((route, i) => ({ labels: { route }, value: values[i] as number })),
          })),
      ),
    },
  ),
});

function makeRule(forMs: number, keepFiringForMs: number): AlertingRule {
  return {
    kind: 'alert',
    name: 'r',
    expr: 'x > 0.1',
    forMs,
    keepFiringForMs,
    labels: {},
    annotations: {},
    action: undefined,
    flag: undefined,
    notify: undefined,
    threshold: undefined,
    pos: { file: 'f', line: 1, col: 1 },
  };
}

describe('evaluator invariants', () => {
  it('never fires before `for` has elapsed since activeAt; failed queries change no instance', () => {
    fc.assert(
      fc.property(
        ruleArb,
        fc.array(stepArb, { minLength: 1, maxLength: 40 }),
        ({ forMs, keepFiringForMs }, steps) => {
          const rule = makeRule(forMs, keepFiringForMs);
          let state: RuleState | undefined;
          let now = 1_700_000_000_000;
          for (const { gapMs, result } of steps) {
            now += gapMs;
            const out = evaluateRule(rule, result, now, state);
            if (!result.ok) {
              expect(out.transitions).toEqual([]);
              expect(out.state.instances).toBe(state?.instances ?? out.state.instances);
              expect(out.state.instances.size).toBe(state?.instances.size ?? 0);
              expect(out.state.health).toBe('err');
            }
            for (const t of out.transitions) {
              if (t.to === 'firing')
                expect(t.at - t.instance.activeAt).toBeGreaterThanOrEqual(forMs);
              expect(t.from).not.toBe(t.to);
            }
            for (const inst of out.state.instances.values()) {
              expect(inst.activeAt).toBeLessThanOrEqual(now);
              if (inst.state === 'firing')
                expect((inst.firedAt as number) - inst.activeAt).toBeGreaterThanOrEqual(forMs);
              // After a failed query a pending instance may be overdue: it is promoted at the next good one.
              if (inst.state === 'pending' && result.ok)
                expect(now - inst.activeAt).toBeLessThan(forMs);
              if (inst.state === 'resolved') expect(inst.resolvedAt).toBeDefined();
            }
            state = out.state;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an instance returned by every successful evaluation for `for` is firing', () => {
    fc.assert(
      fc.property(
        ruleArb,
        fc.array(fc.integer({ min: 1_000, max: 3 * MIN }), { minLength: 1, maxLength: 30 }),
        ({ forMs }, gaps) => {
          const rule = makeRule(forMs, 0);
          const present: QueryResult = {
            ok: true,
            samples: [{ labels: { route: '/a' }, value: 0.5 }],
          };
          let state: RuleState | undefined;
          const start = 1_700_000_000_000;
          let now = start;
          for (const gap of [0, ...gaps]) {
            now += gap;
            state = evaluateRule(rule, present, now, state).state;
            const [inst] = state.instances.values();
            expect(inst?.state).toBe(now - start >= forMs ? 'firing' : 'pending');
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
