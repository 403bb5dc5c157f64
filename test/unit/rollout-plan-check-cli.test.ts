// `canary rollout plan check` through the real command line: exit codes, the summary and the
// file:line:col lines.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectation } from '../fixtures/expect-comment.js';
import { runCanary as canary } from '../harness/canary-cli.js';

const root = join(import.meta.dirname, '../..');
const invalidDir = join(root, 'test/fixtures/rollouts/invalid');

// Each call starts the CLI through tsx: seconds apiece on a loaded machine, hence the timeout.
describe('canary rollout plan check', { timeout: 60_000 }, () => {
  it('passes the shipped plan and lists its steps; --time-scale divides the holds', () => {
    const out = canary('rollout', 'plan', 'check', 'rollouts/ai-search.yml');
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(
      /^OK: rollouts\/ai-search.yml: flag ai-search-enabled, 5 steps, on failure rollback, α 0.05, N\* 5000$/m,
    );
    expect(out.stdout).toMatch(
      /^ {2}2\. beta: beta-users 10%, hold 2d, at least 1000 AI searches and 50 users$/m,
    );
    const fast = canary(
      'rollout',
      'plan',
      'check',
      '--time-scale',
      '8640',
      'rollouts/ai-search.yml',
    );
    expect(fast.status).toBe(0);
    expect(fast.stdout).toMatch(/^ {2}2\. beta: beta-users 10%, hold 20s, /m);
  });

  it('exits 1 and prints file:line:col: message for every broken plan of the corpus', () => {
    const files = readdirSync(invalidDir)
      .filter((f) => f.endsWith('.yml'))
      .sort();
    const out = canary(
      'rollout',
      'plan',
      'check',
      ...files.map((f) => `test/fixtures/rollouts/invalid/${f}`),
    );
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    for (const f of files) {
      const { line, col } = expectation(join(invalidDir, f));
      expect(out.stderr).toContain(`test/fixtures/rollouts/invalid/${f}:${line}:${col}: `);
    }
  });

  it('exits 1 when one good and one missing plan are given, naming the missing one', () => {
    const out = canary('rollout', 'plan', 'check', 'rollouts/ai-search.yml', 'rollouts/nope.yml');
    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/^rollouts\/nope.yml:1:1: cannot read rollout plan: /m);
  });

  it('exits 2 on bad usage', () => {
    expect(canary('rollout', 'plan', 'check').status).toBe(2);
    expect(
      canary('rollout', 'plan', 'check', '--time-scale', '0.5', 'rollouts/ai-search.yml').status,
    ).toBe(2);
  });
});
