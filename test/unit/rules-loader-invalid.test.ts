// The corpus of broken rule files: each file is named for what is wrong with it and says on its
// first line where the error must be reported (`# expect: line:col message`).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectation } from '../fixtures/expect-comment.js';
import { formatRuleError, loadRuleFiles } from '../../src/canary/rules/load-rules.js';

const dir = join(import.meta.dirname, '../fixtures/rules/invalid');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.yml'))
  .sort();

describe('broken rule files are rejected with file:line:col', () => {
  it('has a corpus to check', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
  });

  it.each(fixtures)('%s', async (name) => {
    const file = join(dir, name);
    const want = expectation(file);
    const result = await loadRuleFiles([file], { defaultIntervalMs: 15_000 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const first = formatRuleError(result.errors[0]!);
    expect(first).toContain(`${file}:${want.line}:${want.col}: `);
    expect(first).toContain(want.message);
  });
});
