// A real Prometheus scrapes the service's /metrics while real traffic flows (real LLM layer and
// SDKs against the simulator with 20% injected errors). What PromQL sees must match the traffic.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohortsFromSamples, VARIANT_LABEL } from '../../src/canary/rollout/cohort-queries.js';
import { exceedance, SEARCH_DURATION_BOUNDS } from '../../src/rollout/latency-exceedance.js';
import { startLlmSimulator, type LlmSimulator } from '../../src/llm-sim/index.js';
import { PRICE_TABLES } from '../../src/search/llm/index.js';
import { startService, type RunningService } from '../../src/search/main.js';
import { loadConfig, PROVIDERS, type ProviderName } from '../../src/shared/config.js';
import { eventually, startPrometheus, type PrometheusHandle } from '../harness/index.js';

const CATALOG = [
  'http_server_request_duration_bucket',
  'ai_search_searches_total',
  'ai_search_search_duration_bucket',
  'gen_ai_client_operation_duration_bucket',
  'gen_ai_client_token_usage_bucket',
  'ai_search_cost_usd_total',
  'db_client_operation_duration_bucket',
  'ai_search_cache_requests_total',
  'ai_search_result_cache_requests_total',
  'ai_search_feedback_rating_bucket',
  'feature_flag_evaluations_total',
  'ai_search_metrics_render_duration_bucket',
];

let dir = '';
let sim: LlmSimulator;
let svc: RunningService;
let prom: PrometheusHandle;
const client = { aiSearches: 0, keywordSearches: 0, costUsd: 0, ratings: [] as number[] };

async function get(url: string, userId: string) {
  const res = await fetch(url, { headers: { 'x-user-id': userId } });
  return {
    status: res.status,
    body: (await res.json()) as { searchId: string; mode: string; costUsd: number },
  };
}

async function traffic(): Promise<void> {
  const internal = svc.store.usersInSegment('internal-users', 30);
  const publicUsers = svc.store.usersInSegment('public', 10);
  const queries = [
    'climate reporters in Berlin',
    'tech editors in London',
    'health journalists',
    'sports in Madrid',
    'finance correspondents in New York',
  ];
  const jobs = Array.from({ length: 200 }, (_, i) => async () => {
    const q = `${queries[i % queries.length]} ${i}`;
    const { status, body } = await get(
      `${svc.url}/api/search?q=${encodeURIComponent(q)}`,
      internal[i % internal.length]!,
    );
    expect(status).toBe(200);
    expect(body.mode).toBe('ai');
    client.aiSearches += 1;
    client.costUsd += body.costUsd;
  });
  for (let i = 0; i < 30; i++) {
    jobs.push(async () => {
      const { body } = await get(
        `${svc.url}/api/search?q=climate`,
        publicUsers[i % publicUsers.length]!,
      );
      client.keywordSearches += 1;
      if (i < 6) {
        const rating = (i % 5) + 1;
        const res = await fetch(`${svc.url}/api/search/${body.searchId}/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ rating }),
        });
        expect(res.status).toBe(202);
        client.ratings.push(rating);
      }
    });
  }
  // Four at a time, like a few concurrent users.
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await job();
    }),
  );
  await fetch(`${svc.url}/api/search?q=`, { headers: { 'x-user-id': 'u-000001' } }); // one 400
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'search-prom-'));
  sim = await startLlmSimulator({
    port: 0,
    seed: 11,
    latency: { baseMs: 5, perOutputTokenMs: 0, jitterMs: 0 },
  });
  sim.setFaults({ errorRate: 0.2, mode: 'error', status: 500 });
  const config = loadConfig({
    DATA_DIR: dir,
    LLM_SIM_URL: sim.url,
    NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
    NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE: '0',
    AI_SEARCH_INTERNAL_USERS: 'true',
    AI_SEARCH_CACHE_TTL: '0', // every search calls the LLM
    AI_SEARCH_RATE_LIMIT: '0',
    AI_SEARCH_CLIENT_CALL_SHARE: '0', // one address stands for every user here
    AI_SEARCH_LOG_LEVEL: 'silent',
  });
  svc = await startService({ config, port: 0, contacts: 2000, users: 600, clientRateLimit: false });
  const target = new URL(svc.url).host;
  prom = await startPrometheus({
    scrapeTargets: [{ job: 'ai-search', targets: [target] }],
    scrapeInterval: '1s',
    ruleFiles: [path.resolve('rules/ai-search.rules.yml')],
  });
  // Error series must exist at zero before any traffic: the ratio is 0, not "no data".
  await eventually(
    async () => {
      const r = await prom.query('sum(gen_ai_client_operation_duration_count{error_type!=""})');
      return r.length === 1 && r[0]!.value === 0 ? true : undefined;
    },
    { what: 'error series at zero before traffic' },
  );
  // rate() needs two samples of a series, and the success series of a route appears with its
  // first request: make it exist (and be scraped) before the traffic, which may take less than
  // one scrape interval on a fast machine.
  await get(`${svc.url}/api/search?q=warm-up`, svc.store.usersInSegment('public', 1)[0]!);
  client.keywordSearches += 1;
  await eventually(
    async () => {
      const r = await prom.query(
        'http_server_request_duration_count{http_response_status_code="200"}',
      );
      return r.length > 0 ? true : undefined;
    },
    { what: 'the first request scraped' },
  );
  await traffic();
  const total = client.aiSearches + client.keywordSearches;
  await eventually(
    async () => {
      const r = await prom.query('sum(ai_search_searches_total)');
      return r[0]?.value === total ? true : undefined;
    },
    { what: `Prometheus to see all ${total} searches` },
  );
}, 180_000);

afterAll(async () => {
  await prom?.stop();
  await svc?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

const one = async (expr: string) => {
  const r = await prom.query(expr);
  expect(r.length, `${expr} → ${JSON.stringify(r)}`).toBe(1);
  return r[0]!.value;
};

describe('what Prometheus sees', () => {
  it('scrapes the service and sees every catalog series', async () => {
    expect(await one('up{job="ai-search"}')).toBe(1);
    for (const name of CATALOG) expect(await one(`count(${name})`), name).toBeGreaterThan(0);
  });

  it('sees an AI error ratio near the injected 20%', async () => {
    const ratio = await one(
      'sum(rate(gen_ai_client_operation_duration_count{error_type!=""}[1m])) / sum(rate(gen_ai_client_operation_duration_count[1m]))',
    );
    expect(ratio).toBeGreaterThan(0.12);
    expect(ratio).toBeLessThan(0.28);
    // Failed calls are classified, never left without a class.
    expect(
      await one('count(gen_ai_client_operation_duration_count{error_type="http_5xx"} > 0)'),
    ).toBeGreaterThan(0);
  });

  it('counts searches by mode, and degraded AI searches only when every provider failed', async () => {
    expect(await one('sum(ai_search_searches_total{ai_search_mode="ai"})')).toBe(client.aiSearches);
    expect(await one('sum(ai_search_searches_total{ai_search_mode="keyword"})')).toBe(
      client.keywordSearches,
    );
    // 0.2³ of AI searches fail on all three providers: a handful at most.
    expect(
      await one('sum(ai_search_searches_total{ai_search_mode="ai",outcome="degraded"})'),
    ).toBeLessThan(client.aiSearches * 0.05);
    expect(await one('sum(ai_search_cache_requests_total)')).toBe(0); // cache off in this test
  });

  it("labels each search with the flag variant it was served, and counts each cohort's distinct users", async () => {
    // The cohorts a rollout plan compares: flag on (AI) and flag off (keyword), same window.
    const byVariant = async (variant: string) =>
      one(`sum(ai_search_searches_total{feature_flag_result_variant="${variant}"})`);
    expect(await byVariant('on')).toBe(client.aiSearches);
    expect(await byVariant('off')).toBe(client.keywordSearches);
    expect(
      await one('sum(ai_search_search_duration_count{feature_flag_result_variant="on"})'),
    ).toBe(client.aiSearches);
    // 30 internal users were served `on`, 10 public users `off` (the flag never changed).
    expect(await one('sum(ai_search_cohort_users_total{feature_flag_result_variant="on"})')).toBe(
      30,
    );
    expect(await one('sum(ai_search_cohort_users_total{feature_flag_result_variant="off"})')).toBe(
      10,
    );
  });

  it("gives the p95 gate each cohort's histogram, with every search latency bound readable", async () => {
    // The rollout's cohort queries use increase() over a step; over the whole run the counters
    // themselves are the window. The gate's threshold must be a bound Prometheus labels `le` with.
    const V = VARIANT_LABEL;
    const q = async (expr: string) =>
      (await prom.query(expr)).map((x) => ({ labels: x.metric, value: x.value }));
    const out = cohortsFromSamples({
      searches: await q(`sum by (${V}, outcome) (ai_search_searches_total)`),
      buckets: await q(`sum by (${V}, le) (ai_search_search_duration_bucket)`),
      sums: await q(`sum by (${V}) (ai_search_search_duration_sum)`),
      users: [],
      usersAtStart: [],
    });
    const pair = out.cohorts.latency_p95;
    expect(pair?.kind).toBe('exceedance');
    if (pair?.kind !== 'exceedance') return;
    for (const t of SEARCH_DURATION_BOUNDS) {
      const [on, off] = [exceedance(pair.canary, t), exceedance(pair.baseline, t)];
      expect(on, `${t}s`).toMatchObject({ ok: true, arm: { trials: client.aiSearches } });
      expect(off, `${t}s`).toMatchObject({ ok: true, arm: { trials: client.keywordSearches } });
    }
    // Keyword searches answer in milliseconds here: none is slower than 30 s.
    expect(exceedance(pair.baseline, 30)).toMatchObject({ ok: true, arm: { events: 0 } });
  });

  it('has cost per search equal to the price table applied to the token counts', async () => {
    const total = await one('sum(ai_search_cost_usd_total)');
    expect(total).toBeCloseTo(client.costUsd, 9);
    let expected = 0;
    for (const provider of PROVIDERS as readonly ProviderName[]) {
      const model = Object.keys(PRICE_TABLES[provider].models)[0]!;
      const price = PRICE_TABLES[provider].models[model]!;
      const tokens = async (type: string) =>
        (
          await prom.query(
            `sum(gen_ai_client_token_usage_sum{gen_ai_provider_name="${provider}",gen_ai_token_type="${type}"})`,
          )
        )[0]?.value ?? 0;
      expected +=
        ((await tokens('input')) * price.inputPerMTok +
          (await tokens('output')) * price.outputPerMTok) /
        1e6;
    }
    expect(total).toBeCloseTo(expected, 9);
    const perSearch = await one(
      'sum(ai_search_cost_usd_total) / sum(ai_search_searches_total{ai_search_mode="ai"})',
    );
    expect(perSearch).toBeCloseTo(client.costUsd / client.aiSearches, 9);
    expect(perSearch).toBeLessThan(0.1);
  });

  it('sees the feedback ratings, flag evaluations per segment, DB and HTTP figures', async () => {
    const mean = client.ratings.reduce((a, b) => a + b, 0) / client.ratings.length;
    expect(
      await one('sum(ai_search_feedback_rating_sum) / sum(ai_search_feedback_rating_count)'),
    ).toBeCloseTo(mean, 9);
    expect(
      await one(
        'sum(feature_flag_evaluations_total{segment="internal-users",feature_flag_variant="on"})',
      ),
    ).toBe(client.aiSearches);
    expect(
      await one('sum(feature_flag_evaluations_total{segment="public",feature_flag_variant="off"})'),
    ).toBe(client.keywordSearches);
    expect(await one('sum(db_client_operation_duration_count{error_type!=""})')).toBe(0);
    // Every keyword search looks in the result cache; each miss runs at least one query.
    expect(await one('sum(ai_search_result_cache_requests_total)')).toBeGreaterThanOrEqual(
      client.keywordSearches,
    );
    expect(await one('sum(ai_search_result_cache_requests_total{result="hit"})')).toBeGreaterThan(
      0,
    );
    expect(
      await one(
        'sum(db_client_operation_duration_count{db_operation_name=~"keyword_search|keyword_search_fts5|filter_search"})',
      ),
    ).toBeGreaterThanOrEqual(
      await one('sum(ai_search_result_cache_requests_total{result="miss"})'),
    );
    expect(
      await one(
        'sum(http_server_request_duration_count{http_route="/api/search",http_response_status_code="400"})',
      ),
    ).toBe(1);
    expect(
      await one(
        'sum(http_server_request_duration_count{http_route=~"/api/.*",http_response_status_code=~"5.."})',
      ),
    ).toBe(0);
    // Search requests say which mode answered, so API latency can leave the LLM's time out.
    expect(
      await one(
        'sum(http_server_request_duration_count{http_route="/api/search",ai_search_mode="ai"})',
      ),
    ).toBe(client.aiSearches);
    expect(
      await one(
        'sum(http_server_request_duration_count{http_route="/api/search",ai_search_mode="keyword"})',
      ),
    ).toBe(client.keywordSearches);
    const p95 = await one(
      'histogram_quantile(0.95, sum by (le) (rate(http_server_request_duration_bucket{http_route=~"/api/.*"}[1m])))',
    );
    expect(p95).toBeGreaterThan(0);
  });

  it('feeds the recording rules of rules/ai-search.rules.yml with the figures the traffic implies', async () => {
    const expectedCost = client.costUsd / client.aiSearches;
    const [errorRatio, costPerSearch] = await eventually(
      async () => {
        const ratio = (await prom.query('ai_search:ai_error_ratio:rate5m'))[0]?.value;
        const cost = (await prom.query('ai_search:cost_per_search_usd:1h'))[0]?.value;
        if (ratio === undefined || cost === undefined) return undefined;
        return Math.abs(cost - expectedCost) < expectedCost * 1e-6 ? [ratio, cost] : undefined;
      },
      { what: 'recorded AI error ratio and cost per search' },
    );
    expect(errorRatio).toBeGreaterThan(0.12);
    expect(errorRatio).toBeLessThan(0.28);
    expect(costPerSearch).toBeLessThan(0.1);
    // No 5xx and no DB error in the traffic: both ratios are 0 (not "no data") once a rule
    // evaluation has seen two scrapes of the traffic's series.
    for (const rule of ['ai_search:api_error_ratio:rate5m', 'ai_search:db_error_ratio:rate5m']) {
      const value = await eventually(
        async () => {
          const v = (await prom.query(rule))[0]?.value;
          return v === undefined || Number.isNaN(v) ? undefined : v;
        },
        { what: `${rule} to be recorded with a value` },
      );
      expect(value, rule).toBe(0);
    }
  });
});
