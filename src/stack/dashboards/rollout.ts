// "AI Search rollout health": the guide's key metrics, each against its target.
import { actionEvents, type DashboardSpec, type PanelSpec, type Section } from './model.js';
import { ROLLOUT_PLAN, ROLLOUT_PLAN_ANNOTATIONS } from './rollout-plan.js';

const API = 'http_route=~"/api/.*"';
const FLAG = 'feature_flag_key="ai-search-enabled"';

const p95p99 = (metric: string, by: string, filter = ''): PanelSpec['targets'] =>
  [0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(${metric}_bucket${filter ? `{${filter}}` : ''}[5m])))`,
    legend: `p${q * 100}${by ? ` {{${by}}}` : ''}`,
  }));

const traffic: Section = {
  row: 'Traffic',
  panels: [
    {
      title: 'Searches per second by mode',
      description: 'ai_search:searches:rate5m: AI searches against keyword searches.',
      targets: [{ expr: 'ai_search:searches:rate5m', legend: '{{ai_search_mode}}' }],
      unit: 'reqps',
    },
    {
      title: 'Search outcomes',
      description:
        'Searches per second by mode and outcome (success, empty, degraded = AI failed and keyword answered, error).',
      targets: [
        {
          expr: 'sum by (ai_search_mode, outcome) (rate(ai_search_searches_total[5m]))',
          legend: '{{ai_search_mode}} {{outcome}}',
        },
      ],
      unit: 'reqps',
    },
    {
      title: 'API requests by route and status',
      description: 'HTTP requests per second on /api/* routes.',
      targets: [
        {
          expr: `sum by (http_route, http_response_status_code) (rate(http_server_request_duration_count{${API}}[5m]))`,
          legend: '{{http_route}} {{http_response_status_code}}',
        },
      ],
      unit: 'reqps',
    },
  ],
};

const errors: Section = {
  row: 'Errors',
  panels: [
    {
      title: 'AI service error ratio (rollback at 10%)',
      description:
        'Failed LLM calls / all. Target < 5% (warning); above 10% for 5m the daemon rolls the flag back.',
      targets: [{ expr: 'ai_search:ai_error_ratio:rate5m', legend: 'AI error ratio' }],
      unit: 'percentunit',
      thresholds: [
        { value: 0.05, color: 'orange' },
        { value: 0.1, color: 'red' },
      ],
    },
    {
      title: 'AI searches without an LLM call',
      description:
        'Per second, by reason: query_rejected (the query could not yield valid filters), recent_failure (negative cache), client_share_exceeded (a client over its share of LLM calls); and searches that shared an identical in-flight call. None of them counts in the AI error ratio. See the runbook, "One client and the AI error ratio".',
      targets: [
        { expr: 'sum by (reason) (rate(ai_search_llm_skipped_total[5m]))', legend: '{{reason}}' },
        { expr: 'sum(rate(ai_search_llm_calls_coalesced_total[5m]))', legend: 'coalesced' },
      ],
      unit: 'reqps',
    },
    {
      title: 'API error ratio (target < 1%)',
      description: '5xx / all requests of /api/* routes. high_error_rate fires at 5% for 5m.',
      targets: [{ expr: 'ai_search:api_error_ratio:rate5m', legend: 'API 5xx ratio' }],
      unit: 'percentunit',
      thresholds: [
        { value: 0.01, color: 'orange' },
        { value: 0.05, color: 'red' },
      ],
    },
    {
      title: 'Search success (target > 90%)',
      description: 'Successful searches / all searches.',
      targets: [{ expr: 'ai_search:search_success_ratio:rate5m', legend: 'success ratio' }],
      unit: 'percentunit',
      max: 1,
      base: 'red',
      thresholds: [{ value: 0.9, color: 'green' }],
    },
  ],
};

const latency: Section = {
  row: 'Latency',
  panels: [
    {
      title: 'Search latency per mode (p95, p99)',
      description: 'slow_response_time fires above 2 s (10m); the AI search target is < 30 s.',
      targets: p95p99('ai_search_search_duration', 'ai_search_mode'),
      unit: 's',
      thresholds: [
        { value: 2, color: 'orange' },
        { value: 30, color: 'red' },
      ],
    },
    {
      title: 'API latency (p95, p99; target < 200 ms)',
      description:
        'http_server_request_duration on /api/* routes, AI-answered searches left out (their own target is 30 s, see Search latency per mode).',
      targets: [
        { expr: 'ai_search:api_latency_seconds:p95_5m', legend: 'p95' },
        {
          expr: `histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_bucket{${API},ai_search_mode!="ai"}[5m])))`,
          legend: 'p99',
        },
      ],
      unit: 's',
      thresholds: [
        { value: 0.2, color: 'orange' },
        { value: 2, color: 'red' },
      ],
    },
    {
      title: 'LLM call latency by provider (p95)',
      description: 'gen_ai_client_operation_duration per provider and model.',
      targets: [
        {
          expr: 'histogram_quantile(0.95, sum by (le, gen_ai_provider_name) (rate(gen_ai_client_operation_duration_bucket[5m])))',
          legend: '{{gen_ai_provider_name}}',
        },
      ],
      unit: 's',
      thresholds: [{ value: 30, color: 'red' }],
    },
  ],
};

const database: Section = {
  row: 'Database',
  panels: [
    {
      title: 'DB error ratio (target < 0.1%)',
      description: 'Failed / all SQLite operations.',
      targets: [{ expr: 'ai_search:db_error_ratio:rate5m', legend: 'DB error ratio' }],
      unit: 'percentunit',
      thresholds: [{ value: 0.001, color: 'red' }],
    },
    {
      title: 'DB query latency (p95; target < 100 ms)',
      description: 'db_client_operation_duration p95, overall and per operation.',
      targets: [
        { expr: 'ai_search:db_latency_seconds:p95_5m', legend: 'p95' },
        {
          expr: 'histogram_quantile(0.95, sum by (le, db_operation_name) (rate(db_client_operation_duration_bucket[5m])))',
          legend: 'p95 {{db_operation_name}}',
        },
      ],
      unit: 's',
      thresholds: [{ value: 0.1, color: 'red' }],
    },
    {
      title: 'Cache hit rate',
      description:
        'Query-understanding cache: hits / lookups. A falling hit rate raises cost and latency.',
      targets: [
        {
          expr: 'sum(rate(ai_search_cache_requests_total{result="hit"}[5m])) / sum(rate(ai_search_cache_requests_total[5m]))',
          legend: 'hit rate',
        },
      ],
      unit: 'percentunit',
      max: 1,
    },
  ],
};

const cost: Section = {
  row: 'Cost',
  panels: [
    {
      title: 'Cost per AI search (target < $0.10)',
      description: 'ai_search:cost_per_search_usd:1h: LLM cost / AI searches over the last hour.',
      targets: [{ expr: 'ai_search:cost_per_search_usd:1h', legend: 'USD per search' }],
      unit: 'currencyUSD',
      thresholds: [{ value: 0.1, color: 'red' }],
    },
    {
      title: 'Daily cost against baseline',
      description:
        'Cost over the last 24h against the baseline day; the target is below 120% of it.',
      targets: [
        { expr: 'ai_search:cost_usd:increase1d', legend: 'cost, last 24h' },
        { expr: 'ai_search:cost_baseline_usd:1h * 24', legend: 'baseline day' },
        { expr: 'ai_search:cost_baseline_usd:1h * 24 * 1.2', legend: '120% of baseline' },
      ],
      unit: 'currencyUSD',
    },
    {
      title: 'Cost per hour by provider',
      description:
        'USD per hour, by provider and model; cost_spike compares the hourly rate with 150% of baseline.',
      targets: [
        {
          expr: 'sum by (gen_ai_provider_name, gen_ai_request_model) (rate(ai_search_cost_usd_total[5m])) * 3600',
          legend: '{{gen_ai_provider_name}} {{gen_ai_request_model}}',
        },
        {
          expr: 'ai_search:cost_baseline_usd:1h * 1.5',
          legend: 'cost_spike line (150% of baseline)',
        },
      ],
      unit: 'currencyUSD',
    },
  ],
};

const users: Section = {
  row: 'Users and rollout',
  panels: [
    {
      title: 'User satisfaction (target > 4.0 / 5)',
      description: 'Mean feedback rating over the last hour.',
      targets: [{ expr: 'ai_search:satisfaction_score:avg1h', legend: 'mean rating' }],
      unit: 'none',
      max: 5,
      base: 'red',
      thresholds: [{ value: 4, color: 'green' }],
    },
    {
      title: 'Share of users served AI search, per segment',
      description:
        'Flag evaluations of ai-search-enabled that returned "on", per segment. Drops to 0 on rollback.',
      targets: [
        {
          expr: `(sum by (segment) (rate(feature_flag_evaluations_total{${FLAG},feature_flag_variant="on"}[5m])) or 0 * sum by (segment) (rate(feature_flag_evaluations_total{${FLAG}}[5m]))) / sum by (segment) (rate(feature_flag_evaluations_total{${FLAG}}[5m]))`,
          legend: '{{segment}}',
        },
      ],
      unit: 'percentunit',
      max: 1,
    },
    {
      title: 'Tokens per second',
      description: 'LLM tokens by direction.',
      targets: [
        {
          expr: 'sum by (gen_ai_token_type) (rate(gen_ai_client_token_usage_sum[5m]))',
          legend: '{{gen_ai_token_type}}',
        },
      ],
      unit: 'short',
    },
  ],
};

export const ROLLOUT_DASHBOARD: DashboardSpec = {
  uid: 'ai-search-rollout',
  title: 'AI Search rollout health',
  description:
    "The deployment guide's key metrics, each against its target; rollbacks and notifications as annotations.",
  tags: ['ai-search', 'canary'],
  sections: [traffic, errors, latency, database, cost, users, ROLLOUT_PLAN],
  annotations: [
    {
      name: 'Rollbacks',
      expr: actionEvents('{action="immediate_rollback"}'),
      color: 'red',
      title: 'rollback ({{outcome}})',
      text: 'The canary daemon turned ai-search-enabled off',
    },
    {
      name: 'Notifications',
      expr: actionEvents('{action=~"notify_.*"}'),
      color: 'orange',
      title: '{{action}} ({{outcome}})',
      text: 'The canary daemon notified a team',
    },
    {
      name: 'Firing alerts',
      expr: 'ALERTS{alertstate="firing"}',
      color: 'purple',
      title: '{{alertname}}',
      text: 'severity {{severity}}, action {{action}}',
    },
    ...ROLLOUT_PLAN_ANNOTATIONS,
  ],
};
