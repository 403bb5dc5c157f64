// The rule files through Prometheus's own tools, so `npm test` covers what CI runs:
// `promtool check rules` and the promtool unit tests in rules/tests/.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRuleError, loadRuleFiles } from '../../src/canary/rules/load-rules.js';

const root = join(import.meta.dirname, '../..');
const ruleFiles = readdirSync(join(root, 'rules'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => join('rules', f));
const testFiles = readdirSync(join(root, 'rules/tests'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => join('rules/tests', f));

function promtool(...args: string[]) {
  const out = spawnSync('promtool', args, { cwd: root, encoding: 'utf8' });
  if (out.error && (out.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      'promtool is not installed or not on PATH: install Prometheus 2.42+ (Debian: apt-get install prometheus) to check the rule files',
    );
  }
  return { status: out.status, output: `${out.stdout}${out.stderr}` };
}

/** Broken only for the daemon: valid Prometheus, but an action the daemon could not run safely. */
const DAEMON_ONLY = [
  'action-on-record-rule.yml',
  'group-limit.yml',
  'notify-unknown-value.yml',
  'notify-without-rollback.yml',
  'rollback-without-flag.yml',
  'template-in-flag.yml',
  'unknown-action.yml',
];
const invalidDir = 'test/fixtures/rules/invalid';
const invalid = readdirSync(join(root, invalidDir)).filter((f) => f.endsWith('.yml'));

describe('promtool', () => {
  it('agrees that the broken fixtures are broken, except the daemon-only rules', () => {
    const accepted = invalid.filter(
      (f) => promtool('check', 'rules', join(invalidDir, f)).status === 0,
    );
    expect(accepted.sort()).toEqual(DAEMON_ONLY);
    expect(promtool('check', 'rules', 'test/fixtures/rules/valid/every-feature.yml').status).toBe(
      0,
    );
  });

  it('check rules passes on every rule file', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    const out = promtool('check', 'rules', ...ruleFiles);
    expect(out.status, out.output).toBe(0);
  });

  it('test rules passes every unit test in rules/tests', () => {
    expect(testFiles.length).toBeGreaterThan(0);
    const out = promtool('test', 'rules', ...testFiles);
    expect(out.status, out.output).toBe(0);
  });
});

describe('long `or` chains (lezer gives up near 200 terms; promtool does not)', () => {
  const chain = (n: number, term: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => term(i)).join(' or ');
  const ruleFile = (expr: string) =>
    `groups:\n  - name: long\n    rules:\n      - alert: long_chain\n        expr: ${JSON.stringify(expr)}\n`;

  it.each([
    ['300 label_replace terms', chain(300, (i) => `label_replace(up, "q", "${i}", "", "")`), true],
    [
      '1,000 vector terms with on()',
      chain(1000, (i) => `vector(${i})`).replaceAll(' or ', ' or on() '),
      true,
    ],
    [
      'a broken term deep in the chain',
      chain(300, (i) => (i === 250 ? 'rate(up[5m]' : 'up')),
      false,
    ],
  ])('%s: the daemon agrees with promtool', async (_name, expr, valid) => {
    const dir = mkdtempSync(join(os.tmpdir(), 'long-or-'));
    try {
      const file = join(dir, 'rules.yml');
      writeFileSync(file, ruleFile(expr));
      const promtoolOk = promtool('check', 'rules', file).status === 0;
      expect(promtoolOk).toBe(valid);
      const daemon = await loadRuleFiles([file], { defaultIntervalMs: 1000 });
      expect(daemon.ok, daemon.ok ? '' : daemon.errors.map(formatRuleError).join('\n')).toBe(
        promtoolOk,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
