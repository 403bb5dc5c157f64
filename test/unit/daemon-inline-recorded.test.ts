// `canary daemon --inline-recorded`: what each alert queries reads no recorded series, while the
// rule a person wrote (`expr`, shown and audited) stays as written; an alert that cannot be inlined
// faithfully keeps its query and is reported with the reason and its line.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planRuleQuery } from '../../src/canary/prometheus/rule-query.js';
import { recordedSeriesUsed } from '../../src/canary/engine/rule-source.js';
import { inliningRecorded, type NotInlined } from '../../src/canary/rules/inline-loaded.js';
import { loadRuleFiles } from '../../src/canary/rules/load-rules.js';
import type { AlertingRule } from '../../src/canary/types.js';

let reported: NotInlined[] = [];
const load = inliningRecorded(loadRuleFiles, (a) => (reported = [...a]));
const dir = mkdtempSync(path.join(os.tmpdir(), 'canary-inline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the daemon with --inline-recorded', () => {
  it('queries no recorded series for the alerts of rules/*.yml but the two offset reads, and shows each as written', async () => {
    const plain = await loadRuleFiles([path.resolve('rules/ai-search.rules.yml')], {
      defaultIntervalMs: 15_000,
    });
    const inlined = await load([path.resolve('rules/ai-search.rules.yml')], {
      defaultIntervalMs: 15_000,
    });
    if (!plain.ok || !inlined.ok) throw new Error('rules/ai-search.rules.yml does not load');
    expect(recordedSeriesUsed(plain.groups).length).toBeGreaterThan(0);
    // The cost alerts compare with last week (`offset`), which a subquery cannot replace exactly.
    expect(recordedSeriesUsed(inlined.groups)).toEqual([
      'ai_search:cost_baseline_usd:1h',
      'ai_search:cost_usd:increase1d',
      'ai_search:cost_usd:rate1h',
    ]);
    expect(reported.map((a) => a.rule)).toEqual(['cost_spike', 'daily_cost_above_baseline']);
    expect(reported[0]!.reason).toMatch(/offset/);
    const alerts = (gs: typeof plain.groups) =>
      gs.flatMap((g) => g.rules.filter((r): r is AlertingRule => r.kind === 'alert'));
    const before = alerts(plain.groups);
    const after = alerts(inlined.groups);
    expect(after.map((r) => r.expr)).toEqual(before.map((r) => r.expr));
    const failure = after.find((r) => r.name === 'ai_service_failure')!;
    const sent = planRuleQuery(failure).exprs.join('\n');
    expect(failure.expr).toContain('ai_search:ai_error_ratio:rate5m');
    expect(sent).not.toContain('ai_search:ai_error_ratio:rate5m');
    expect(sent).toContain('gen_ai_client_operation_duration_count');
  });

  it('reports an alert that reads a recorded series with label matchers, at its line', async () => {
    const file = path.join(dir, 'matchers.rules.yml');
    writeFileSync(
      file,
      [
        'groups:',
        '  - name: g',
        '    rules:',
        '      - record: job:x:rate5m',
        '        expr: sum by (job) (rate(x_total[5m]))',
        '      - alert: x_high',
        '        expr: job:x:rate5m{job="a"} > 1',
        '',
      ].join('\n'),
    );
    const r = await load([file], { defaultIntervalMs: 15_000 });
    expect(r.ok).toBe(true);
    expect(reported).toEqual([
      { rule: 'x_high', where: `${file}:6`, reason: expect.stringMatching(/label matchers/) },
    ]);
  });
});
