// Rule identity across reloads, as Prometheus 2.42's CopyState matches rules: group (file + name),
// then rule name + labels, duplicates by ordinal. Whatever else an edit changes, the id stays.
import { describe, expect, it } from 'vitest';
import { identifyRules } from '../../src/canary/engine/rule-identity.js';
import { parseRuleText } from '../../src/canary/rules/load-rules.js';
import type { RuleGroup } from '../../src/canary/types.js';

function load(text: string, file = '/rules/canary.yml'): RuleGroup[] {
  const result = parseRuleText(text, file, { defaultIntervalMs: 15_000 });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.groups;
}

const rules = ({
  group = 'canary',
  interval = '15s',
  expr = 'ratio > 0.1',
  forDuration = '5m',
  labels = '{ action: immediate_rollback, flag: ai-search-enabled }',
  summary = 'errors at {{ $value }}',
} = {}) => `
groups:
  - name: ${group}
    interval: ${interval}
    rules:
      - alert: ai_service_failure
        expr: ${expr}
        for: ${forDuration}
        labels: ${labels}
        annotations: { summary: '${summary}' }
      - alert: high_error_rate
        expr: api_ratio > 0.05
`;

const ids = (text: string, file?: string) => identifyRules(load(text, file)).map((k) => k.id);

describe('rule identity (Prometheus CopyState)', () => {
  const base = ids(rules());

  it.each([
    ['the threshold', rules({ expr: 'ratio > 0.2' })],
    ['the whole expression', rules({ expr: 'sum(rate(x[5m])) > 3' })],
    ['for', rules({ forDuration: '10m' })],
    ['annotations', rules({ summary: 'now at {{ $value }}' })],
    ['the group interval', rules({ interval: '30s' })],
  ])('keeps the id when %s changes', (_what, edited) => {
    expect(ids(edited)).toEqual(base);
  });

  it.each([
    ['a label value', rules({ labels: '{ action: immediate_rollback, flag: other }' })],
    [
      'a label set',
      rules({ labels: '{ action: immediate_rollback, flag: ai-search-enabled, team: web }' }),
    ],
    ['the group name', rules({ group: 'renamed' })],
  ])('gives a new id when %s changes (the state starts fresh)', (_what, edited) => {
    const next = ids(edited);
    expect(next[0]).not.toBe(base[0]);
    // The other rule is only affected when its own group changed.
    if (!_what.startsWith('the group')) expect(next[1]).toBe(base[1]);
  });

  it('gives a new id in another file, since a group is its file and its name', () => {
    expect(ids(rules(), '/rules/other.yml')[0]).not.toBe(base[0]);
  });

  it('reads as file, group, name and labels', () => {
    expect(base[0]).toBe(
      '/rules/canary.yml::canary::ai_service_failure{action="immediate_rollback",flag="ai-search-enabled"}',
    );
    expect(base[1]).toBe('/rules/canary.yml::canary::high_error_rate{}');
  });

  it('matches duplicates by ordinal (the first with the first), counting recording rules', () => {
    const dup = ids(`
groups:
  - name: g
    rules:
      - { alert: dup, expr: x > 1 }
      - { alert: dup, expr: x > 2 }
`);
    expect(dup[1]).toBe(`${dup[0]}#2`);
    const afterRecord = ids(`
groups:
  - name: g
    rules:
      - { record: dup, expr: x }
      - { alert: dup, expr: x > 1 }
`);
    expect(afterRecord).toEqual([`${dup[0]}#2`]);
  });
});
