// `canary rules check` through the real command line: exit codes and the file:line:col lines.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectation } from '../fixtures/expect-comment.js';
import { runCanary as canary } from '../harness/canary-cli.js';

const root = join(import.meta.dirname, '../..');
const invalidDir = join(root, 'test/fixtures/rules/invalid');

describe('canary rules check', () => {
  it('passes the real rule file and summarises its groups and actions', () => {
    const out = canary('rules', 'check', 'rules/ai-search.rules.yml');
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^OK: 1 file, 5 groups, 17 alerting rules, 22 recording rules$/m);
    expect(out.stdout).toMatch(/immediate_rollback: ai_service_failure \(flag ai-search-enabled\)/);
  });

  it('exits 1 and prints file:line:col: message for every broken file of the corpus', () => {
    const files = readdirSync(invalidDir)
      .filter((f) => f.endsWith('.yml'))
      .sort();
    const out = canary('rules', 'check', ...files.map((f) => `test/fixtures/rules/invalid/${f}`));
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    for (const f of files) {
      const { line, col } = expectation(join(invalidDir, f));
      expect(out.stderr).toContain(`test/fixtures/rules/invalid/${f}:${line}:${col}: `);
    }
  });

  it('exits 2 on bad usage', () => {
    expect(canary('rules', 'check').status).toBe(2);
    expect(canary('rules', 'check', '--no-such-option', 'x.yml').status).toBe(2);
  });
});
