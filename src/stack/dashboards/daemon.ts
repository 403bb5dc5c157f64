// "Canary daemon": is the daemon evaluating, is Prometheus answering it, what has it done.
import { actionEvents, type DashboardSpec } from './model.js';

export const DAEMON_DASHBOARD: DashboardSpec = {
  uid: 'canary-daemon',
  title: 'Canary daemon',
  description:
    'Rule states, evaluation health, Prometheus errors and actions of the canary daemon.',
  tags: ['ai-search', 'canary'],
  sections: [
    {
      row: 'Rules',
      panels: [
        {
          title: 'Rule states',
          description: 'Each alerting rule: inactive, pending or firing (canary_rule_state).',
          kind: 'state-timeline',
          targets: [
            { expr: 'max by (rule, state) (canary_rule_state) > 0', legend: '{{rule}} {{state}}' },
          ],
          unit: 'none',
          width: 12,
        },
        {
          title: 'Alert instances pending / firing',
          description: 'canary_alerts by state; 0 when nothing is wrong.',
          targets: [
            { expr: 'sum by (state) (canary_alerts) or on () vector(0)', legend: '{{state}}' },
          ],
          unit: 'short',
          width: 12,
          thresholds: [{ value: 1, color: 'red' }],
        },
      ],
    },
    {
      row: 'Evaluation',
      panels: [
        {
          title: 'Evaluation duration (p95, p99)',
          description:
            'Time to evaluate one rule group; it must stay well below the group interval.',
          targets: [0.95, 0.99].map((q) => ({
            expr: `histogram_quantile(${q}, sum by (le, group) (rate(canary_rule_evaluation_duration_seconds_bucket[5m])))`,
            legend: `p${q * 100} {{group}}`,
          })),
          unit: 's',
        },
        {
          title: 'Evaluations and failures per second',
          description:
            'A failed evaluation changes no state and never rolls back; it is reported here.',
          targets: [
            { expr: 'sum(rate(canary_rule_evaluations_total[5m]))', legend: 'evaluations' },
            {
              expr: 'sum(rate(canary_rule_evaluation_failures_total[5m])) or on () vector(0)',
              legend: 'failures',
            },
            {
              expr: 'sum(rate(canary_missed_evaluations_total[5m])) or on () vector(0)',
              legend: 'missed slots',
            },
          ],
          unit: 'ops',
        },
        {
          title: 'Seconds since the last successful evaluation',
          description: 'Grows when Prometheus is unreachable; the daemon is then blind.',
          targets: [
            {
              expr: 'time() - max(canary_last_successful_evaluation_timestamp_seconds)',
              legend: 'age',
            },
          ],
          unit: 's',
          thresholds: [
            { value: 120, color: 'orange' },
            { value: 600, color: 'red' },
          ],
        },
      ],
    },
    {
      row: 'Prometheus and actions',
      panels: [
        {
          title: 'Prometheus errors',
          description: 'Failed queries by kind (timeout, HTTP, bad response).',
          targets: [
            {
              expr: 'sum by (kind) (increase(canary_prometheus_errors_total[5m])) or on () vector(0)',
              legend: '{{kind}}',
            },
          ],
          unit: 'short',
          thresholds: [{ value: 1, color: 'red' }],
        },
        {
          title: 'Actions since the daemon started',
          description:
            'Rollbacks and notifications by outcome: success, failure, skipped, dry_run.',
          targets: [
            {
              expr: 'sum by (action, outcome) (canary_actions_total) or on () vector(0)',
              legend: '{{action}} {{outcome}}',
            },
          ],
          unit: 'short',
        },
        {
          title: 'Scrape targets up',
          description: 'Is Prometheus scraping the daemon and the search service?',
          targets: [{ expr: 'up{job=~"canary-daemon|ai-search-service"}', legend: '{{job}}' }],
          unit: 'none',
          max: 1,
          base: 'red',
          thresholds: [{ value: 1, color: 'green' }],
        },
      ],
    },
  ],
  annotations: [
    {
      name: 'Actions',
      expr: actionEvents(''),
      color: 'red',
      title: '{{action}} ({{outcome}})',
      text: 'canary daemon action',
    },
  ],
};
