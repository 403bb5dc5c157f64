// The rollout plan loader: the shipped plan is the deployment guide's, and each broken plan of the
// corpus (named for what is wrong, first line `# expect: line:col message`) is refused there.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectation } from '../fixtures/expect-comment.js';
import { formatRuleError } from '../../src/canary/rules/yaml-context.js';
import { loadPlanFile, parsePlanText } from '../../src/rollout/load-plan.js';
import { scalePlan } from '../../src/rollout/plan.js';

const root = join(import.meta.dirname, '../..');
const dir = join(root, 'test/fixtures/rollouts/invalid');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.yml'))
  .sort();
const HOUR = 3_600_000;

async function shippedPlan() {
  const result = await loadPlanFile(join(root, 'rollouts/ai-search.yml'));
  if (!result.ok) throw new Error(result.errors.map(formatRuleError).join('\n'));
  return result.plan;
}

describe('the shipped plan is the deployment guide’s', () => {
  it('internal 1% → beta 10% → 25% → 50% → 100%, holding 24h, 48h, 24h, 24h, 24h', async () => {
    const plan = await shippedPlan();
    expect(plan.flag).toBe('ai-search-enabled');
    expect(plan.steps.map((s) => [s.segment, s.percentage, s.holdMs / HOUR])).toEqual([
      ['internal-users', 1, 24],
      ['beta-users', 10, 48],
      ['public', 25, 24],
      ['public', 50, 24],
      ['public', 100, 24],
    ]);
    expect(plan.statistics).toEqual({ alpha: 0.05, tuningN: 5000 });
    expect(plan.gates.alertSeverities).toEqual(['critical', 'warning']);
    expect(plan.gates.metrics.map((m) => m.metric)).toEqual([
      'error_ratio',
      'latency_mean',
      'latency_p95',
    ]);
  });

  it('is frozen', async () => {
    const plan = await shippedPlan();
    expect(Object.isFrozen(plan)).toBe(true);
    expect(Object.isFrozen(plan.steps)).toBe(true);
    expect(Object.isFrozen(plan.steps[0])).toBe(true);
    expect(Object.isFrozen(plan.gates.metrics)).toBe(true);
  });

  it('reports where each step was written', async () => {
    const plan = await shippedPlan();
    const text = readFileSync(join(root, 'rollouts/ai-search.yml'), 'utf8').split('\n');
    for (const step of plan.steps) {
      expect(text[step.pos.line - 1]?.slice(step.pos.col - 1)).toBe(`name: ${step.name}`);
    }
  });

  it('statistics may be left out: α 0.05 and N* 5000', () => {
    const text = readFileSync(join(dir, 'unknown-policy.yml'), 'utf8').replace(
      'on_failure: revert',
      'on_failure: pause',
    );
    const result = parsePlanText(text, 'inline.yml');
    expect(result.ok && result.plan.statistics).toEqual({ alpha: 0.05, tuningN: 5000 });
  });
});

describe('--time-scale divides every hold', () => {
  it('8640 turns the guide’s week into 70 seconds and leaves minimum samples alone', async () => {
    const plan = await shippedPlan();
    const scaled = scalePlan(plan, 8640);
    expect(scaled.ok).toBe(true);
    if (!scaled.ok) return;
    expect(scaled.plan.steps.map((s) => s.holdMs)).toEqual([
      10_000, 20_000, 10_000, 10_000, 10_000,
    ]);
    expect(scaled.plan.steps.map((s) => s.minSample)).toEqual(plan.steps.map((s) => s.minSample));
    expect(plan.steps[0]?.holdMs).toBe(24 * HOUR);
    expect(Object.isFrozen(scaled.plan.steps[0])).toBe(true);
  });

  it('never scales a hold below 1 ms, and refuses a factor below 1 or not a number', async () => {
    const plan = await shippedPlan();
    const huge = scalePlan(plan, 1e12);
    expect(huge.ok && huge.plan.steps.every((s) => s.holdMs === 1)).toBe(true);
    for (const bad of [0, 0.5, -2, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(scalePlan(plan, bad)).toMatchObject({
        ok: false,
        error: expect.stringMatching(/≥ 1/),
      });
    }
  });
});

describe('broken plans are refused with file:line:col', () => {
  it('has a corpus to check', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(25);
  });

  it.each(fixtures)('%s', async (name) => {
    const file = join(dir, name);
    const want = expectation(file);
    const result = await loadPlanFile(file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const first = formatRuleError(result.errors[0]!);
    expect(first).toContain(`${file}:${want.line}:${want.col}: `);
    expect(first).toContain(want.message);
  });

  it('a missing file is an error at 1:1, not a throw', async () => {
    const result = await loadPlanFile(join(dir, 'no-such-plan.yml'));
    expect(result).toMatchObject({ ok: false, errors: [{ line: 1, col: 1 }] });
  });

  it('reports every error of a file, not only the first', () => {
    const text = [
      'flag: ai-search-enabled',
      'on_failure: explode',
      'steps:',
      '  - {name: a, segment: staff, percentage: 101, hold: 1.5h, min_sample: {searches: 1, users: 1}}',
      'gates: {alerts: {severities: [critical]}}',
    ].join('\n');
    const result = parsePlanText(text, 'many.yml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.line)).toEqual([2, 4, 4, 4]);
  });
});
