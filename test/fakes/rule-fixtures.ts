// Alerting rules built in code for unit tests (the loader has its own tests).
import type { ActionName, AlertingRule, RuleGroup } from '../../src/canary/types.js';

export function alertRule(name: string, over: Partial<AlertingRule> = {}): AlertingRule {
  const action: ActionName | undefined = over.action;
  return {
    kind: 'alert',
    name,
    expr: `${name}_ratio > 0.1`,
    forMs: 5000,
    keepFiringForMs: 0,
    labels: { severity: 'critical', ...(action ? { action } : {}) },
    annotations: { summary: `${name} is high` },
    action,
    flag: action === 'immediate_rollback' ? 'ai-search-enabled' : undefined,
    notify: action === 'immediate_rollback' ? 'notify_dev_team' : undefined,
    threshold: { lhs: `${name}_ratio`, op: '>', value: 0.1 },
    pos: { file: 'test.yml', line: 1, col: 1 },
    ...over,
  };
}

export function group(name: string, rules: AlertingRule[], intervalMs = 1000): RuleGroup {
  return { name, file: '/test/rules.yml', intervalMs, rules };
}
