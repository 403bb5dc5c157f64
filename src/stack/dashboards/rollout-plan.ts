// The "Rollout plan" row of the rollout dashboard: where the daemon's plan is (step, percentage,
// phase, hold left, each gate's verdict) and the cohort comparison its gates judge: flag on (AI)
// against flag off (keyword), told apart by `feature_flag_result_variant`. Promotions are
// annotations (ROLLOUT_PLAN_ANNOTATIONS). The daemon's gauges are taken with max(): one series
// per daemon target, as every query aggregates across targets (rules-aggregate-replicas.test.ts).
import { bornOrIncreased, type AnnotationSpec, type Section } from './model.js';

const V = 'feature_flag_result_variant';
const T = 'canary_rollout_transitions_total';

export const ROLLOUT_PLAN: Section = {
  row: 'Rollout plan',
  panels: [
    {
      title: 'Rollout step and percentage',
      description:
        "The daemon's rollout plan: the step in progress or paused (1-based; 0 = none) and the percentage it serves its segment.",
      targets: [
        { expr: 'max(canary_rollout_step)', legend: 'step' },
        { expr: 'max by (segment) (canary_rollout_percentage)', legend: '{{segment}} %' },
      ],
      unit: 'short',
    },
    {
      title: 'Rollout phase',
      description: 'pending, progressing, paused, succeeded or aborted (rolled back).',
      kind: 'state-timeline',
      targets: [{ expr: 'max by (state) (canary_rollout_state) == 1', legend: '{{state}}' }],
      unit: 'none',
    },
    {
      title: 'Hold left in the current step',
      description:
        'Seconds until the step may be promoted (if its gates pass and its minimum sample is in).',
      targets: [{ expr: 'max(canary_rollout_hold_remaining_seconds)', legend: 'hold left' }],
      unit: 's',
    },
    {
      title: 'Gate verdicts',
      description:
        'Each gate at the last look: pass, blocked (pending alert, too few searches) or failed (the plan’s on_failure applies).',
      kind: 'state-timeline',
      targets: [
        {
          expr: 'max by (gate, verdict) (canary_rollout_gate_verdict) == 1',
          legend: '{{gate}}: {{verdict}}',
        },
      ],
      unit: 'none',
    },
    {
      title: 'Failed searches by cohort (flag on vs off)',
      description:
        'error + degraded searches / all, per flag variant: what the error_ratio gate compares.',
      targets: [
        {
          expr: `sum by (${V}) (rate(ai_search_searches_total{outcome=~"error|degraded"}[5m])) / sum by (${V}) (rate(ai_search_searches_total[5m]))`,
          legend: 'flag {{' + V + '}}',
        },
      ],
      unit: 'percentunit',
    },
    {
      title: 'Search latency by cohort (mean and p95)',
      description: 'Mean (what the latency_mean gate compares) and p95 latency per flag variant.',
      targets: [
        {
          expr: `sum by (${V}) (rate(ai_search_search_duration_sum[5m])) / sum by (${V}) (rate(ai_search_search_duration_count[5m]))`,
          legend: 'mean, flag {{' + V + '}}',
        },
        {
          expr: `histogram_quantile(0.95, sum by (le, ${V}) (rate(ai_search_search_duration_bucket[5m])))`,
          legend: 'p95, flag {{' + V + '}}',
        },
      ],
      unit: 's',
    },
  ],
};

export const ROLLOUT_PLAN_ANNOTATIONS: readonly AnnotationSpec[] = [
  {
    name: 'Rollout transitions',
    // A transition counter born at 1 within the window counts too (as for actions).
    expr: bornOrIncreased(T, 'to'),
    color: 'blue',
    title: 'rollout: {{to}}',
    text: 'The rollout plan moved (a promotion is progressing; see canary rollout status)',
  },
];
