import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createServiceMetrics, type ServiceMetrics } from '../../src/search/metrics.js';

const providers = [
  { name: 'openai', model: 'gpt-4o-mini' },
  { name: 'anthropic', model: 'claude-3-5-haiku-latest' },
];

function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('service metrics', () => {
  it('reuses the SDK collection only while nothing in it changed (property)', async () => {
    // Every kind of write, and the flag store link going up or down with nothing recorded. Service
    // A renders after every step (reusing what it can), service B only at the end: if A kept a
    // collection that a write had made stale, its last page differs from B's.
    type Step = (m: ServiceMetrics) => void;
    const steps: Step[] = [
      (m) => m.recordHttp('/api/search', 'GET', 200, 0.01, 'keyword'),
      (m) => m.recordSearch('ai', 'success', 2),
      (m) => m.recordCohortUser('on'),
      (m) => m.recordDb('keyword_search', 0.001),
      (m) => m.recordResultCache('hit'),
      (m) => m.recordCache(false),
      (m) => m.recordFlag('ai-search-enabled', 'on', 'beta-users'),
      (m) => m.recordFeedback(4),
      (m) => m.recordNoCall('recent_failure'),
      (m) => m.recordCoalesced(),
      (m) =>
        m.recordCall({
          provider: 'openai',
          model: 'gpt-4o-mini',
          durationMs: 700,
          inputTokens: 120,
          outputTokens: 40,
          cachedInputTokens: 0,
          costUsd: 0.0002,
        }),
    ];
    const LINK = steps.length; // the step that takes the flag store link down or up
    const page = async (m: ServiceMetrics) => {
      const s = samples((await m.render()).body.toString());
      for (const k of s.keys()) if (k.startsWith('ai_search_metrics_render_duration')) s.delete(k);
      return s;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.nat(LINK), { maxLength: 3 }), { maxLength: 10 }),
        async (rounds) => {
          const options = { enabled: true, costTracking: true, providers };
          const [a, b] = [createServiceMetrics(options), createServiceMetrics(options)];
          const link = { up: true };
          for (const m of [a, b]) m.watchFlagStore(() => link.up);
          for (const round of rounds) {
            for (const k of round) {
              if (k === LINK) link.up = !link.up;
              else for (const m of [a, b]) steps[k]!(m);
            }
            await page(a);
          }
          expect(await page(a)).toEqual(await page(b));
          await Promise.all([a.shutdown(), b.shutdown()]);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('writes one well-formed page: each family once and whole, each series once (the SDK part and the service-kept part together)', async () => {
    const m = createServiceMetrics({
      enabled: true,
      costTracking: true,
      providers,
      flags: ['ai-search-enabled'],
    });
    m.watchFlagStore(() => true);
    for (let k = 0; k < 3; k++) {
      // Each lands on a pre-declared series: a twin of it would show twice.
      m.recordHttp('/api/search', 'GET', 200, 0.01, 'keyword');
      m.recordHttp('/api/search', 'GET', 500, 0.01);
      m.recordSearch('keyword', 'success', 0.01);
      m.recordCohortUser('off');
      m.recordDb('keyword_search', 0.001);
      m.recordResultCache('hit');
      m.recordCache(false);
      m.recordFlag('ai-search-enabled', 'off', 'public');
      m.recordFeedback(5);
      m.recordNoCall('recent_failure');
      await m.render();
    }
    const lines = (await m.render()).body.toString().split('\n');
    const families: string[] = [];
    const series = new Set<string>();
    for (const l of lines) {
      if (l.startsWith('# TYPE ')) {
        families.push(l.split(' ')[2]!);
        continue;
      }
      if (l === '' || l.startsWith('#')) continue;
      const key = l.slice(0, l.lastIndexOf(' '));
      expect(series.has(key), `${key} twice`).toBe(false);
      series.add(key);
      const family = families.at(-1)!;
      expect(key.replace(/\{.*$/, '').replace(/_(count|sum|bucket)$/, ''), key).toBe(family);
    }
    expect(new Set(families).size, families.join(' ')).toBe(families.length);
    expect(families).toEqual(
      expect.arrayContaining(['ai_search_searches_total', 'feature_flag_store_connected']),
    );
    await m.shutdown();
  });

  it('exposes every catalog series from start-up, error series at zero', async () => {
    const m = createServiceMetrics({
      enabled: true,
      costTracking: true,
      providers,
      flags: ['ai-search-enabled'],
    });
    const page = await m.render();
    expect(page.status).toBe(200);
    const s = samples(page.body.toString());
    for (const key of [
      'http_server_request_duration_count{http_route="/api/search",http_request_method="GET",http_response_status_code="500",url_scheme="http"}',
      'http_server_request_duration_count{http_route="/api/search",http_request_method="GET",http_response_status_code="200",url_scheme="http",ai_search_mode="keyword"}',
      'ai_search_searches_total{ai_search_mode="ai",feature_flag_result_variant="on",outcome="degraded"}',
      'ai_search_searches_total{ai_search_mode="keyword",feature_flag_result_variant="off",outcome="error"}',
      'ai_search_search_duration_count{ai_search_mode="ai",feature_flag_result_variant="on"}',
      'ai_search_cohort_users_total{feature_flag_result_variant="on"}',
      'ai_search_cohort_users_total{feature_flag_result_variant="off"}',
      'gen_ai_client_operation_duration_count{gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini"}',
      'gen_ai_client_operation_duration_count{gen_ai_operation_name="chat",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini",error_type="timeout"}',
      'gen_ai_client_token_usage_count{gen_ai_operation_name="chat",gen_ai_provider_name="anthropic",gen_ai_request_model="claude-3-5-haiku-latest",gen_ai_token_type="output"}',
      'ai_search_cost_usd_total{gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini"}',
      'db_client_operation_duration_count{db_system_name="sqlite",db_operation_name="keyword_search",error_type="_OTHER"}',
      'ai_search_cache_requests_total{result="hit"}',
      'ai_search_result_cache_requests_total{result="miss"}',
      'ai_search_feedback_rating_count',
      'feature_flag_evaluations_total{feature_flag_key="ai-search-enabled",feature_flag_variant="on",segment="beta-users"}',
    ]) {
      expect(s.get(key), key).toBe(0);
    }
    await m.shutdown();
  });

  it('counts every search in the next scrape and keeps counting across scrapes (sums held between scrapes)', async () => {
    const m = createServiceMetrics({ enabled: true, costTracking: true, providers });
    const searches =
      'ai_search_searches_total{ai_search_mode="keyword",feature_flag_result_variant="off",outcome="success"}';
    const flags =
      'feature_flag_evaluations_total{feature_flag_key="ai-search-enabled",feature_flag_variant="off",segment="public"}';
    const search = (n: number) => {
      for (let k = 0; k < n; k++) {
        m.recordFlag('ai-search-enabled', 'off', 'public');
        m.recordResultCache(k % 2 ? 'hit' : 'miss');
        m.recordCache(true);
        m.recordSearch('keyword', 'success', 0.001);
      }
    };
    search(3);
    let s = samples((await m.render()).body.toString());
    expect([s.get(searches), s.get(flags)]).toEqual([3, 3]);
    expect(s.get('ai_search_result_cache_requests_total{result="miss"}')).toBe(2);
    expect(s.get('ai_search_cache_requests_total{result="hit"}')).toBe(3);
    s = samples((await m.render()).body.toString()); // nothing new: the same totals, not doubled or reset
    expect([s.get(searches), s.get(flags)]).toEqual([3, 3]);
    search(4);
    s = samples((await m.render()).body.toString());
    expect([s.get(searches), s.get(flags)]).toEqual([7, 7]);
    expect(s.get('ai_search_result_cache_requests_total{result="hit"}')).toBe(3);
    expect(
      s.get(
        'ai_search_search_duration_count{ai_search_mode="keyword",feature_flag_result_variant="off"}',
      ),
    ).toBe(7);
    await m.shutdown();
  });

  it('records LLM calls: duration by outcome, tokens, and cost from the record', async () => {
    const m = createServiceMetrics({ enabled: true, costTracking: true, providers });
    const call = {
      provider: 'openai',
      model: 'gpt-4o-mini',
      inputTokens: 400,
      outputTokens: 50,
      cachedInputTokens: 0,
    } as const;
    m.recordCall({ ...call, durationMs: 300, costUsd: 0.0001 });
    m.recordCall({
      ...call,
      durationMs: 1200,
      costUsd: 0,
      errorType: 'http_5xx',
      inputTokens: 0,
      outputTokens: 0,
    });
    m.recordCache(true);
    m.recordResultCache('miss');
    m.recordResultCache('hit');
    m.recordResultCache('hit');
    const s = samples((await m.render()).body.toString());
    const model = 'gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini"';
    const base = `gen_ai_operation_name="chat",${model}`;
    expect(s.get(`gen_ai_client_operation_duration_count{${base}}`)).toBe(1);
    expect(s.get(`gen_ai_client_operation_duration_count{${base},error_type="http_5xx"}`)).toBe(1);
    expect(
      s.get(`gen_ai_client_operation_duration_bucket{${base},error_type="http_5xx",le="1.28"}`),
    ).toBe(1);
    expect(s.get(`gen_ai_client_token_usage_sum{${base},gen_ai_token_type="input"}`)).toBe(400);
    expect(s.get(`gen_ai_client_token_usage_count{${base},gen_ai_token_type="input"}`)).toBe(1);
    expect(s.get(`ai_search_cost_usd_total{${model}}`)).toBeCloseTo(0.0001, 10);
    expect(s.get('ai_search_cache_requests_total{result="hit"}')).toBe(1);
    expect(s.get('ai_search_result_cache_requests_total{result="hit"}')).toBe(2);
    expect(s.get('ai_search_result_cache_requests_total{result="miss"}')).toBe(1);
    await m.shutdown();
  });

  // The attributes the semantic conventions require on each metric, and one name for the search
  // mode, on the series that recordings create as much as on the pre-created ones.
  it('sets the required attributes on recorded series, and names the search mode ai_search_mode', async () => {
    const m = createServiceMetrics({ enabled: true, costTracking: true, providers });
    m.recordHttp('/api/search', 'GET', 200, 0.01, 'ai');
    m.recordHttp('/api/flags/:key', 'GET', 404, 0.001);
    m.recordSearch('ai', 'success', 1.5);
    m.recordDb('get_user', 0.001);
    m.recordDb('get_user', 0.001, 'SQLITE_BUSY');
    m.recordCall({
      provider: 'anthropic',
      model: 'claude-3-5-haiku-latest',
      durationMs: 800,
      inputTokens: 300,
      outputTokens: 40,
      cachedInputTokens: 0,
      costUsd: 0.0002,
    });
    const s = samples((await m.render()).body.toString());
    const recorded = [...s].filter(([, v]) => v > 0).map(([k]) => k);
    const labelsOf = (metric: string) =>
      recorded.filter((k) => k.startsWith(`${metric}{`) && !k.includes(',le="'));
    const each = (metric: string, label: RegExp) => {
      const series = labelsOf(metric);
      expect(series.length, metric).toBeGreaterThan(0);
      for (const k of series) expect(k).toMatch(label);
    };
    each('http_server_request_duration_count', /[{,]url_scheme="http"[,}]/);
    each('gen_ai_client_operation_duration_count', /[{,]gen_ai_operation_name="chat"[,}]/);
    each('gen_ai_client_token_usage_count', /[{,]gen_ai_operation_name="chat"[,}]/);
    each('db_client_operation_duration_count', /[{,]db_system_name="sqlite"[,}]/);
    for (const metric of ['ai_search_searches_total', 'ai_search_search_duration_count']) {
      each(metric, /[{,]ai_search_mode="ai"[,}]/);
    }
    expect(
      s.get(
        'http_server_request_duration_count{http_route="/api/search",http_request_method="GET",http_response_status_code="200",url_scheme="http",ai_search_mode="ai"}',
      ),
    ).toBe(1);
    // Recording lands on the pre-created series (same labels), not on a twin of it.
    expect(
      s.get(
        'db_client_operation_duration_count{db_system_name="sqlite",db_operation_name="get_user"}',
      ),
    ).toBe(1);
    expect([...s.keys()].filter((k) => /[{,]mode=/.test(k))).toEqual([]);
    await m.shutdown();
  });

  it('keeps the cost counter at zero when cost tracking is off', async () => {
    const m = createServiceMetrics({ enabled: true, costTracking: false, providers });
    m.recordCall({
      provider: 'openai',
      model: 'gpt-4o-mini',
      durationMs: 10,
      inputTokens: 1,
      outputTokens: 1,
      cachedInputTokens: 0,
      costUsd: 1,
    });
    const s = samples((await m.render()).body.toString());
    expect(
      s.get(
        'ai_search_cost_usd_total{gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini"}',
      ),
    ).toBe(0);
  });

  it('bounds labels from outside: unknown HTTP methods and too many DB error classes', async () => {
    const m = createServiceMetrics({ enabled: true, costTracking: true, providers: [] });
    m.recordHttp('unmatched', 'BREW', 404, 0.001);
    for (let i = 0; i < 40; i++) m.recordDb('get_user', 0.001, `SQLITE_E${i}`);
    const body = (await m.render()).body.toString();
    expect(body).toContain('http_request_method="_OTHER"');
    expect(body).not.toContain('BREW');
    expect(body).toContain('error_type="_OTHER"');
    expect(body).not.toContain('SQLITE_E39');
  });

  // The rollout compares cohorts by the flag's variant (OTel feature_flag.result.variant).
  it('labels searches with the flag variant on the pre-created series, bounded in number', async () => {
    const m = createServiceMetrics({ enabled: true, costTracking: true, providers });
    m.recordSearch('ai', 'success', 0.2, 'on');
    m.recordSearch('keyword', 'error', 0.01, 'off');
    m.recordSearch('keyword', 'success', 0.01);
    m.recordCohortUser('on');
    for (let i = 0; i < 20; i++) m.recordSearch('ai', 'success', 0.1, `v${i}`);
    const s = samples((await m.render()).body.toString());
    const on = 'ai_search_mode="ai",feature_flag_result_variant="on"';
    const off = 'ai_search_mode="keyword",feature_flag_result_variant="off"';
    expect(s.get(`ai_search_searches_total{${on},outcome="success"}`)).toBe(1);
    expect(s.get(`ai_search_searches_total{${off},outcome="error"}`)).toBe(1);
    expect(s.get(`ai_search_searches_total{${off},outcome="success"}`)).toBe(1);
    expect(s.get(`ai_search_search_duration_count{${on}}`)).toBe(1);
    expect(s.get(`ai_search_search_duration_count{${off}}`)).toBe(2);
    expect(s.get('ai_search_cohort_users_total{feature_flag_result_variant="on"}')).toBe(1);
    // 16 distinct variants at most: the rest land on _OTHER.
    const variants = new Set(
      [...s.keys()]
        .filter((k) => k.startsWith('ai_search_searches_total{'))
        .map((k) => /feature_flag_result_variant="([^"]*)"/.exec(k)?.[1]),
    );
    expect(variants.size).toBe(17);
    expect(variants.has('_OTHER')).toBe(true);
    await m.shutdown();
  });

  it('records nothing and says why when monitoring is off', async () => {
    const m = createServiceMetrics({ enabled: false, costTracking: true, providers });
    m.recordSearch('ai', 'success', 1);
    const page = await m.render();
    expect(m.enabled).toBe(false);
    expect(page.status).toBe(503);
    expect(page.body.toString()).toContain('ENABLE_AI_SEARCH_MONITORING');
  });

  it('times each /metrics render and shows it in the next scrape', async () => {
    const m = createServiceMetrics({ enabled: true, costTracking: true, providers });
    const first = await m.render();
    expect(samples(first.body.toString()).get('ai_search_metrics_render_duration_count')).toBe(0);
    expect(first.renderSeconds).toBeGreaterThan(0);
    const second = samples((await m.render()).body.toString());
    expect(second.get('ai_search_metrics_render_duration_count')).toBe(1);
    expect(second.get('ai_search_metrics_render_duration_sum')).toBeCloseTo(first.renderSeconds, 9);
    await m.shutdown();
  });
});
