// The evaluator against Prometheus itself: random histories of one series appearing and
// disappearing, evaluated by promtool's real rule engine (for, keep_firing_for) and by
// evaluateRule. At every minute, Prometheus's ALERTS series must show exactly the pending/firing
// instance our state has.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { evaluateRule } from '../../src/canary/engine/evaluator.js';
import type { AlertingRule, RuleState } from '../../src/canary/types.js';

const MIN = 60_000;
const STEPS = 40;
const dir = mkdtempSync(join(tmpdir(), 'canary-evaluator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  readonly forMin: number;
  readonly keepMin: number;
  readonly present: readonly boolean[];
}

/** Our state after each minute: what ALERTS should hold then. */
function ours(c: Case): ('pending' | 'firing' | undefined)[] {
  const rule: AlertingRule = {
    kind: 'alert',
    name: `r`,
    expr: 'x > 0',
    forMs: c.forMin * MIN,
    keepFiringForMs: c.keepMin * MIN,
    labels: {},
    annotations: {},
    action: undefined,
    flag: undefined,
    notify: undefined,
    threshold: undefined,
    pos: { file: 'f', line: 1, col: 1 },
  };
  let state: RuleState | undefined;
  return c.present.map((p, t) => {
    const samples = p ? [{ labels: { job: 'svc' }, value: 1 }] : [];
    state = evaluateRule(rule, { ok: true, samples }, t * MIN, state).state;
    const s = [...state.instances.values()][0]?.state;
    return s === 'pending' || s === 'firing' ? s : undefined;
  });
}

function promtoolAgrees(cases: readonly Case[]): { status: number | null; output: string } {
  const rules = cases.map((c, i) => ({
    alert: `r${i}`,
    expr: `x{case="${i}"} > 0`,
    for: `${c.forMin}m`,
    ...(c.keepMin > 0 ? { keep_firing_for: `${c.keepMin}m` } : {}),
  }));
  writeFileSync(join(dir, 'eval.rules.yml'), stringify({ groups: [{ name: 'eval', rules }] }));
  const input_series = cases.map((c, i) => ({
    series: `x{case="${i}",job="svc"}`,
    values: c.present.map((p) => (p ? '1' : 'stale')).join(' '),
  }));
  const promql_expr_test = cases.flatMap((c, i) =>
    ours(c).map((state, t) => ({
      expr: `ALERTS{alertname="r${i}"}`,
      eval_time: `${t}m`,
      exp_samples: state
        ? [
            {
              labels: `ALERTS{alertname="r${i}",alertstate="${state}",case="${i}",job="svc"}`,
              value: 1,
            },
          ]
        : [],
    })),
  );
  writeFileSync(
    join(dir, 'eval.test.yml'),
    stringify({
      rule_files: ['eval.rules.yml'],
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series, promql_expr_test }],
    }),
  );
  const out = spawnSync('promtool', ['test', 'rules', 'eval.test.yml'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (out.error)
    throw new Error(`promtool could not run (install Prometheus 2.42+): ${out.error.message}`);
  return { status: out.status, output: `${out.stdout}${out.stderr}` };
}

describe('evaluateRule agrees with Prometheus 2.42 minute by minute', () => {
  it('on random histories with for and keep_firing_for', () => {
    const caseArb = fc.record({
      forMin: fc.constantFrom(0, 1, 3, 5),
      keepMin: fc.constantFrom(0, 0, 2, 4),
      present: fc.array(fc.boolean(), { minLength: STEPS, maxLength: STEPS }),
    });
    const cases = fc.sample(caseArb, { numRuns: 24, seed: 4242 });
    // A first step present, so every history starts with the series (stale needs a series).
    const histories = cases.map((c) => ({ ...c, present: [true, ...c.present.slice(1)] }));
    const out = promtoolAgrees(histories);
    expect(out.status, out.output).toBe(0);
  });
});
