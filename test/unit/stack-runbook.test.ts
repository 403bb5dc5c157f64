import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { findRuleFiles } from '../../src/stack/rule-files.js';

type RuleFile = {
  groups: { rules: { alert?: string; annotations?: { runbook_url?: string } }[] }[];
};

const alerts = findRuleFiles('rules').flatMap((file) =>
  (parse(readFileSync(file, 'utf8')) as RuleFile).groups.flatMap((g) =>
    g.rules
      .filter((r) => r.alert)
      .map((r) => [r.alert as string, r.annotations?.runbook_url] as const),
  ),
);
const headings = new Set(
  [...readFileSync('docs/runbook.md', 'utf8').matchAll(/^## (\S+)$/gm)].map((m) => m[1]),
);

describe('docs/runbook.md', () => {
  it('covers the guide’s four alerts at least', () => {
    expect(alerts.map(([a]) => a)).toEqual(
      expect.arrayContaining([
        'high_error_rate',
        'slow_response_time',
        'cost_spike',
        'ai_service_failure',
      ]),
    );
  });

  it.each(alerts)('has a section for %s, where its runbook_url points', (alert, url) => {
    expect(url).toBe(`docs/runbook.md#${alert}`);
    expect(headings.has(alert)).toBe(true);
  });
});
