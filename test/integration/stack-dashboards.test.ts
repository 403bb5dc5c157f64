// Every dashboard query, run the way Grafana runs it (instant and range) against a real
// Prometheus scraping an exposition with every series of the metrics catalog, and the recording
// rules loaded from rules/ (a stub of the same names when the rules file is not there).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_FILES, dashboardQueries } from '../../src/stack/dashboards/index.js';
import { eventually, startPrometheus, type PrometheusHandle } from '../harness/index.js';

const RULES = path.resolve('rules/ai-search.rules.yml');

function histogram(name: string, labels: string, count: number): string {
  const l = labels ? `${labels},` : '';
  const lines = ['0.1', '1', '5', '+Inf'].map(
    (le, i) => `${name}_bucket{${l}le="${le}"} ${Math.round((count * (i + 1)) / 4)}`,
  );
  lines.push(`${name}_sum{${labels}} ${count * 0.3}`, `${name}_count{${labels}} ${count}`);
  return lines.join('\n');
}

let tick = 0;
/** Counters grow at each scrape, so rate() and increase() have something to say. */
function exposition(): string {
  tick += 1;
  const n = 100 * tick;
  const out = [
    histogram(
      'http_server_request_duration',
      'http_route="/api/search",http_request_method="GET",http_response_status_code="200",url_scheme="http",ai_search_mode="keyword"',
      n,
    ),
    histogram(
      'http_server_request_duration',
      'http_route="/api/search",http_request_method="GET",http_response_status_code="500",url_scheme="http"',
      tick,
    ),
    histogram(
      'ai_search_search_duration',
      'ai_search_mode="ai",feature_flag_result_variant="on"',
      n,
    ),
    histogram(
      'ai_search_search_duration',
      'ai_search_mode="keyword",feature_flag_result_variant="off"',
      n,
    ),
    histogram(
      'gen_ai_client_operation_duration',
      'gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini",error_type=""',
      n,
    ),
    histogram(
      'gen_ai_client_operation_duration',
      'gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini",error_type="timeout"',
      tick,
    ),
    histogram(
      'gen_ai_client_token_usage',
      'gen_ai_operation_name="chat",gen_ai_token_type="input",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini"',
      n,
    ),
    histogram(
      'db_client_operation_duration',
      'db_system_name="sqlite",db_operation_name="search"',
      n,
    ),
    histogram('ai_search_feedback_rating', '', tick * 3),
    `ai_search_searches_total{ai_search_mode="ai",feature_flag_result_variant="on",outcome="success"} ${n}`,
    `ai_search_searches_total{ai_search_mode="keyword",feature_flag_result_variant="off",outcome="success"} ${n}`,
    `ai_search_searches_total{ai_search_mode="ai",feature_flag_result_variant="on",outcome="error"} 0`,
    `ai_search_cost_usd_total{gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini"} ${tick * 0.01}`,
    `ai_search_cache_requests_total{result="hit"} ${tick}`,
    `ai_search_cache_requests_total{result="miss"} ${n}`,
    `ai_search_llm_skipped_total{reason="query_rejected"} ${tick}`,
    `ai_search_llm_calls_coalesced_total ${tick}`,
    ...['internal-users', 'beta-users', 'public'].flatMap((segment) => [
      `feature_flag_evaluations_total{feature_flag_key="ai-search-enabled",feature_flag_variant="on",segment="${segment}"} ${tick}`,
      `feature_flag_evaluations_total{feature_flag_key="ai-search-enabled",feature_flag_variant="off",segment="${segment}"} ${n}`,
    ]),
    `canary_rule_state{rule="ai_service_failure",state="inactive"} 1`,
    `canary_rule_state{rule="ai_service_failure",state="firing"} 0`,
    histogram('canary_rule_evaluation_duration_seconds', 'group="ai-search"', tick),
    `canary_rule_evaluations_total ${tick}`,
    `canary_last_successful_evaluation_timestamp_seconds ${Date.now() / 1000}`,
    `canary_actions_total{action="notify_dev_team",outcome="success"} ${tick}`,
    `canary_rollout_step 2`,
    `canary_rollout_percentage{segment="beta-users"} 10`,
    `canary_rollout_state{state="progressing"} 1`,
    `canary_rollout_state{state="paused"} 0`,
    `canary_rollout_hold_remaining_seconds ${Math.max(0, 100 - tick)}`,
    `canary_rollout_gate_verdict{gate="error_ratio",verdict="pass"} 1`,
    `canary_rollout_gate_verdict{gate="error_ratio",verdict="failed"} 0`,
    `canary_rollout_transitions_total{to="progressing"} ${Math.floor(tick / 3)}`,
  ];
  return `${out.join('\n')}\n`;
}

const STUB_RULES = `groups:
  - name: stub
    rules:
${[
  'api_error_ratio:rate5m',
  'ai_error_ratio:rate5m',
  'db_error_ratio:rate5m',
  'api_latency_seconds:p95_5m',
  'ai_search_latency_seconds:p95_5m',
  'db_latency_seconds:p95_5m',
  'search_success_ratio:rate5m',
  'cost_usd:rate1h',
  'cost_per_search_usd:1h',
  'cost_usd:increase1d',
  'cost_baseline_usd:1h',
  'satisfaction_score:avg1h',
]
  .map((n) => `      - record: ai_search:${n}\n        expr: vector(0.5)`)
  .join('\n')}
      - record: ai_search:searches:rate5m
        expr: sum by (ai_search_mode) (rate(ai_search_searches_total[5m]))
`;

const queries = Object.values(DASHBOARD_FILES).flatMap((d) => dashboardQueries(d));
let prom: PrometheusHandle;
let server: http.Server;
let dir: string;

beforeAll(async () => {
  server = http.createServer((_req, res) => res.end(exposition()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  dir = mkdtempSync(path.join(os.tmpdir(), 'stack-dash-'));
  const stub = path.join(dir, 'stub.rules.yml');
  writeFileSync(stub, STUB_RULES);
  prom = await startPrometheus({
    scrapeTargets: [{ job: 'ai-search-service', targets: [`127.0.0.1:${port}`] }],
    ruleFiles: [existsSync(RULES) ? RULES : stub],
  });
  // Wait for a few scrapes and an evaluation of every rule group, so rates have two points.
  const firstOfEachGroup = ['ai_search:searches:rate5m', 'ai_search:cost_per_search_usd:1h'];
  await eventually(
    async () => {
      const r = await Promise.all(firstOfEachGroup.map((s) => prom.query(s)));
      return r.every((samples) => samples.length > 0) ? true : undefined;
    },
    { timeoutMs: 30_000, what: `the recorded series ${firstOfEachGroup.join(', ')}` },
  );
});

afterAll(async () => {
  await prom?.stop();
  await new Promise((r) => server?.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function rangeQuery(expr: string): Promise<string | undefined> {
  const end = Date.now() / 1000;
  const params = new URLSearchParams({
    query: expr,
    start: String(end - 300),
    end: String(end),
    step: '5',
  });
  const res = await fetch(`${prom.url}/api/v1/query_range?${params}`);
  const body = (await res.json()) as { status: string; error?: string };
  return body.status === 'success' ? undefined : (body.error ?? `HTTP ${res.status}`);
}

const panels = [...new Set(queries.filter((q) => !q.annotation).map((q) => q.panel))];

describe('dashboard queries against a real Prometheus', () => {
  it.each(queries.map((q) => [q.where, q.expr] as const))('%s is valid', async (_where, expr) => {
    await prom.query(expr); // throws with Prometheus's error text
    expect(await rangeQuery(expr)).toBeUndefined();
  });

  // A panel shows data once the catalog's series exist (a target such as the cost baseline may
  // legitimately wait for a day of history; the panel still shows the cost itself).
  it.each(panels)('%s shows data', async (panel) => {
    const results = await Promise.all(
      queries.filter((q) => q.panel === panel).map((q) => prom.query(q.expr)),
    );
    expect(results.some((r) => r.length > 0)).toBe(true);
  });

  it('uses only recording rules the rules file defines', () => {
    const text = existsSync(RULES) ? readFileSync(RULES, 'utf8') : STUB_RULES;
    const used = new Set(
      queries.flatMap((q) => q.expr.match(/ai_search:[a-z0-9_]+:[a-z0-9_]+/g) ?? []),
    );
    for (const name of used) expect(text).toContain(`record: ${name}`);
  });
});
