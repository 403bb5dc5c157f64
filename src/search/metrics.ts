// Every metric of the search service, in one place: names (OpenTelemetry GenAI / HTTP / DB
// semantic conventions), bucket boundaries, bounded labels, and the series that must exist at zero
// from start-up so an error ratio is 0, never "no data", while traffic flows. docs/metrics.md is the
// catalog for people; keep the two in step.
import { performance } from 'node:perf_hooks';
import type { Attributes } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVICE_NAME,
  ATTR_URL_SCHEME,
  ERROR_TYPE_VALUE_OTHER,
  HTTP_REQUEST_METHOD_VALUE_OTHER,
  METRIC_DB_CLIENT_OPERATION_DURATION,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions';
// The GenAI names, and SQLite as a db.system.name value, are still "incubating" in the semantic
// conventions (they may change in a minor release). Imported, not copied: an upgrade that renames
// one changes a label the rules and dashboards query, and test/unit/search-metrics.test.ts, which
// spells every catalog series out, fails on it.
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  DB_SYSTEM_NAME_VALUE_SQLITE,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
} from '@opentelemetry/semantic-conventions/incubating';
import type { UserSegment } from '../flags/types.js';
import { DB_OPERATIONS, type DbObserver, type DbOperation } from './contacts/queries.js';
import type { CacheLookup } from './contacts/result-cache.js';
import { LLM_ERROR_TYPES, type LlmCallRecord, type LlmTelemetry } from './llm/types.js';
import {
  BoundedLabel,
  ZeroHistograms,
  type HistogramSeed,
  type HistogramSpec,
} from './metrics-zero-series.js';
import { AttrsMemo, HotCounter, HotHistogram, type FamilySpec } from './metrics-hot-series.js';
import { SeriesText, serializeMetrics } from './metrics-text.js';
import { ReusedCollection, type CountingMeter } from './metrics-collection.js';
import { BUCKETS } from '../shared/histogram-buckets.js';

export type SearchMode = 'ai' | 'keyword';
export type SearchOutcome = 'success' | 'empty' | 'degraded' | 'error';
export const SEARCH_MODES: readonly SearchMode[] = ['ai', 'keyword'];
export const SEARCH_OUTCOMES: readonly SearchOutcome[] = ['success', 'empty', 'degraded', 'error'];
/**
 * The search mode, one name on every metric that has it (`ai_search_mode` in Prometheus). Ours,
 * so namespaced like our metrics: a bare `mode` could clash with a future semantic-conventions
 * attribute on the HTTP metric, and is a common label elsewhere (node_exporter's CPU `mode`).
 */
export const ATTR_SEARCH_MODE = 'ai_search.mode';
/**
 * The flag variant a search was served (OpenTelemetry's `feature_flag.result.variant`,
 * `feature_flag_result_variant` in Prometheus): the cohort a rollout plan compares, flag-on (AI)
 * against flag-off (keyword), over the same window. Low cardinality: `on` | `off`, at most 16.
 */
export const ATTR_FLAG_VARIANT = 'feature_flag.result.variant';
/** The variant each mode is served under when the flag decides it (the seeded pairs). */
export const MODE_VARIANT: Readonly<Record<SearchMode, string>> = { ai: 'on', keyword: 'off' };

/**
 * The service listens on plain HTTP (TLS, where there is any, ends at a proxy in front, whose
 * X-Forwarded-Proto the service does not trust), so the scheme it serves is always http.
 */
const URL_SCHEME = 'http';
/** Every LLM call the service makes is a chat completion (OpenAI) or message (Anthropic). */
const GEN_AI_OPERATION = GEN_AI_OPERATION_NAME_VALUE_CHAT;

/** Why an AI search made no LLM call (the `reason` of ai_search_llm_skipped_total). */
export const NO_CALL_REASONS = [
  'query_rejected',
  'recent_failure',
  'client_share_exceeded',
] as const;
export type NoCallReason = (typeof NO_CALL_REASONS)[number];

/** Routes whose 5xx share the API error-rate rule divides; their 500 series start at zero. */
export const API_ROUTES: readonly (readonly [method: string, route: string])[] = [
  ['GET', '/api/search'],
  ['POST', '/api/search/:searchId/feedback'],
  ['GET', '/api/flags/:key'],
  ['PUT', '/api/flags/:key'],
];
/** Every error class the LLM layer reports; pre-created so the AI error ratio has a numerator. */
export const SEEDED_GEN_AI_ERRORS: readonly string[] = LLM_ERROR_TYPES;

const NO_ATTRIBUTES: Attributes = Object.freeze({});

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export interface MetricsPage {
  readonly status: number;
  readonly contentType: string;
  /**
   * The page in UTF-8, in the pieces kept between scrapes, to be sent as they are: joining them
   * would copy the whole page at every scrape (~120 KB; a copy that cost as much as the rest of an
   * idle render here).
   */
  readonly chunks: readonly Buffer[];
  /** The page's length in bytes. */
  readonly bytes: number;
  /** The page as one buffer, joined when asked for (text is `body.toString()`). */
  readonly body: Buffer;
  /** How long collecting and writing this page took (0 when monitoring is off). */
  readonly renderSeconds: number;
}

/** A page of `chunks`, sent as they are; `body` joins them only when asked. */
export function pageOf(
  status: number,
  contentType: string,
  chunks: readonly Buffer[],
  renderSeconds: number,
): MetricsPage {
  let bytes = 0;
  for (const c of chunks) bytes += c.length;
  return {
    status,
    contentType,
    chunks,
    bytes,
    renderSeconds,
    get body() {
      return Buffer.concat(chunks, bytes);
    },
  };
}

export interface ServiceMetrics extends LlmTelemetry {
  readonly enabled: boolean;
  /**
   * `route` must be a route template (or 'unmatched'), never a raw path. `searchMode` is set on
   * search requests only, so the API latency target can leave out the LLM's time (AI searches
   * have their own 30 s target).
   */
  recordHttp(
    route: string,
    method: string,
    status: number,
    seconds: number,
    searchMode?: SearchMode,
  ): void;
  /** `variant` is the flag's result variant (default: the one `mode` is served under). */
  recordSearch(mode: SearchMode, outcome: SearchOutcome, seconds: number, variant?: string): void;
  /** A user served `variant` for the first time since the flag's definition last changed. */
  recordCohortUser(variant: string): void;
  readonly recordDb: DbObserver;
  /** A search result cache lookup: a hit answered without a database query. */
  readonly recordResultCache: (result: CacheLookup) => void;
  recordFlag(flag: string, variant: string, segment: UserSegment): void;
  /** Reports `feature_flag_store_connected` (1 or 0) from this source at every scrape. */
  watchFlagStore(connected: () => boolean): void;
  recordFeedback(rating: number): void;
  /** An AI search answered in keyword mode without any LLM call, and why. */
  recordNoCall(reason: NoCallReason): void;
  /** The Prometheus text page for /metrics (503 with a reason when monitoring is off). */
  render(): Promise<MetricsPage>;
  shutdown(): Promise<void>;
}

export interface MetricsOptions {
  readonly enabled: boolean;
  /** COST_TRACKING_ENABLED: when false the cost counter stays at zero. */
  readonly costTracking: boolean;
  /** The configured provider chain; their series are pre-created. */
  readonly providers: readonly { readonly name: string; readonly model: string }[];
  /** Flags whose evaluations are pre-created per segment and variant. */
  readonly flags?: readonly string[];
  readonly serviceName?: string;
}

const OFF_PAGE: MetricsPage = pageOf(
  503,
  'text/plain; charset=utf-8',
  [Buffer.from('monitoring is off (ENABLE_AI_SEARCH_MONITORING=false): no metrics are recorded\n')],
  0,
);

const HISTOGRAMS = {
  http: spec(
    METRIC_HTTP_SERVER_REQUEST_DURATION,
    's',
    'Duration of HTTP server requests',
    BUCKETS.http,
  ),
  search: spec(
    'ai_search.search.duration',
    's',
    'Duration of a whole search, by the mode the rollout chose',
    BUCKETS.search,
  ),
  genAi: spec(
    METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
    's',
    'Duration of one LLM call (one provider attempt)',
    BUCKETS.genAiDuration,
  ),
  tokens: spec(
    METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
    '{token}',
    'Tokens used per LLM call',
    BUCKETS.tokens,
  ),
  db: spec(METRIC_DB_CLIENT_OPERATION_DURATION, 's', 'Duration of database operations', BUCKETS.db),
  rating: spec('ai_search.feedback.rating', '', 'User feedback ratings (1..5)', BUCKETS.rating),
  render: spec(
    'ai_search.metrics.render.duration',
    's',
    'Time to collect and write the /metrics page (each render shows in the next scrape)',
    BUCKETS.render,
  ),
} as const;

/** The per-request counters: kept off the SDK like the HTTP, search, DB and render histograms. */
const COUNTERS = {
  searches: counter('ai_search.searches', 'Searches answered, by mode, flag variant and outcome'),
  cohortUsers: counter(
    'ai_search.cohort.users',
    'Users served a flag variant for the first time since the flag last changed (distinct users per rollout step)',
  ),
  cache: counter('ai_search.cache.requests', 'Query-understanding cache lookups'),
  resultCache: counter(
    'ai_search.result_cache.requests',
    'Search result cache lookups (a hit answers without a database query)',
  ),
  flags: counter('feature_flag.evaluations', 'Feature flag evaluations'),
} as const;

function counter(name: string, description: string): FamilySpec {
  return { name, description, unit: '' };
}

function spec(
  name: string,
  unit: string,
  description: string,
  boundaries: readonly number[],
): HistogramSpec {
  return { name, unit, description, boundaries };
}

function instruments(meter: CountingMeter) {
  const histogram = (s: HistogramSpec) =>
    meter.createHistogram(s.name, {
      unit: s.unit,
      description: s.description,
      advice: { explicitBucketBoundaries: [...s.boundaries] },
    });
  return {
    genAi: histogram(HISTOGRAMS.genAi),
    tokens: histogram(HISTOGRAMS.tokens),
    cost: meter.createCounter('ai_search.cost_usd', {
      description: 'LLM spend in US dollars, from the price table',
    }),
    rating: histogram(HISTOGRAMS.rating),
    // What a client cannot spend on the AI service (docs/llm.md, "What one client can cost").
    skipped: meter.createCounter('ai_search.llm.skipped', {
      description: 'AI searches answered in keyword mode without any LLM call, by reason',
    }),
    // 0 while this replica cannot hear the flag store (PostgreSQL): docs/runbook.md.
    flagStore: meter.createObservableGauge('feature_flag.store.connected', {
      description: 'Whether this replica hears the flag store (1) or serves last known flags (0)',
    }),
    coalesced: meter.createCounter('ai_search.llm.calls_coalesced', {
      description: 'AI searches that shared an identical in-flight LLM call chain (single-flight)',
    }),
  };
}

type Instruments = ReturnType<typeof instruments>;

// Attribute sets, each built in one place so that a pre-created zero series and the series a
// recording lands on have the same labels (a label missing from one would split them in two).
function httpAttrs(route: string, method: string, status: number, mode?: SearchMode): Attributes {
  const attrs: Attributes = {
    [ATTR_HTTP_ROUTE]: route,
    [ATTR_HTTP_REQUEST_METHOD]: HTTP_METHODS.has(method) ? method : HTTP_REQUEST_METHOD_VALUE_OTHER,
    [ATTR_HTTP_RESPONSE_STATUS_CODE]: String(status),
    [ATTR_URL_SCHEME]: URL_SCHEME,
  };
  if (mode) attrs[ATTR_SEARCH_MODE] = mode;
  return attrs;
}

/** Which provider and model: the cost counter's labels. */
function modelAttrs(provider: string, model: string): Attributes {
  return { [ATTR_GEN_AI_PROVIDER_NAME]: provider, [ATTR_GEN_AI_REQUEST_MODEL]: model };
}

/** The gen_ai.client.* metrics' labels: the operation (required by the conventions), then the model. */
function genAiAttrs(provider: string, model: string): Attributes {
  return { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION, ...modelAttrs(provider, model) };
}

/** A search's cohort: the mode that answered and the flag variant that chose it. */
function searchAttrs(mode: SearchMode, variant: string): Attributes {
  return { [ATTR_SEARCH_MODE]: mode, [ATTR_FLAG_VARIANT]: variant };
}

function dbAttrs(operation: string, errorType?: string): Attributes {
  const attrs: Attributes = {
    [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_SQLITE,
    [ATTR_DB_OPERATION_NAME]: operation,
  };
  if (errorType) attrs[ATTR_ERROR_TYPE] = errorType;
  return attrs;
}

function histogramSeeds(options: MetricsOptions): HistogramSeed[] {
  const seeds: HistogramSeed[] = [];
  const add = (spec: HistogramSpec, attributes: Attributes) => seeds.push({ spec, attributes });
  for (const [method, route] of API_ROUTES) add(HISTOGRAMS.http, httpAttrs(route, method, 500));
  // The search route's success series too, per mode: rate() needs two samples of a series, so a
  // series born with the first search would leave the first searches out of every ratio.
  for (const mode of SEARCH_MODES) {
    add(HISTOGRAMS.http, httpAttrs('/api/search', 'GET', 200, mode));
  }
  for (const mode of SEARCH_MODES) add(HISTOGRAMS.search, searchAttrs(mode, MODE_VARIANT[mode]));
  for (const p of options.providers) {
    const base = genAiAttrs(p.name, p.model);
    add(HISTOGRAMS.genAi, base);
    for (const e of SEEDED_GEN_AI_ERRORS) {
      add(HISTOGRAMS.genAi, { ...base, [ATTR_ERROR_TYPE]: e });
    }
    for (const t of [GEN_AI_TOKEN_TYPE_VALUE_INPUT, GEN_AI_TOKEN_TYPE_VALUE_OUTPUT]) {
      add(HISTOGRAMS.tokens, { ...base, [ATTR_GEN_AI_TOKEN_TYPE]: t });
    }
  }
  for (const op of DB_OPERATIONS) {
    add(HISTOGRAMS.db, dbAttrs(op));
    add(HISTOGRAMS.db, dbAttrs(op, ERROR_TYPE_VALUE_OTHER));
  }
  add(HISTOGRAMS.rating, {});
  add(HISTOGRAMS.render, {});
  return seeds;
}

function seedCounters(i: Instruments, hot: HotSeries, options: MetricsOptions): void {
  const { counters } = hot;
  for (const mode of SEARCH_MODES) {
    const variant = MODE_VARIANT[mode];
    for (const outcome of SEARCH_OUTCOMES) {
      counters.searches.seed({ ...searchAttrs(mode, variant), outcome });
    }
    counters.cohortUsers.seed({ [ATTR_FLAG_VARIANT]: variant });
  }
  for (const p of options.providers) i.cost.add(0, modelAttrs(p.name, p.model));
  for (const result of ['hit', 'miss']) counters.cache.seed({ result });
  for (const result of ['hit', 'miss']) counters.resultCache.seed({ result });
  for (const reason of NO_CALL_REASONS) i.skipped.add(0, { reason });
  i.coalesced.add(0);
  for (const flag of options.flags ?? []) {
    for (const segment of ['internal-users', 'beta-users', 'public']) {
      for (const variant of ['on', 'off']) {
        const attrs = { 'feature_flag.key': flag, 'feature_flag.variant': variant, segment };
        counters.flags.seed(attrs);
      }
    }
  }
}

export function createServiceMetrics(options: MetricsOptions): ServiceMetrics {
  if (!options.enabled) return noopMetrics();
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName ?? 'ai-search' }),
    readers: [exporter],
  });
  const text = new SeriesText();
  const hot = hotSeries();
  const zeros: HistogramSeed[] = [];
  for (const seed of histogramSeeds(options)) {
    const family = hot.bySpec.get(seed.spec);
    if (family) family.seed(seed.attributes);
    else zeros.push(seed);
  }
  const sdkZeros = new ZeroHistograms(zeros);
  // The SDK's part of the page: the LLM's series and the rare ones, written again only after one
  // of them was recorded (or the flag store's gauge moved).
  const sdk = new ReusedCollection(provider.getMeter('ai-search'), async () => {
    const { resourceMetrics } = await exporter.collect();
    sdkZeros.addTo(resourceMetrics);
    return serializeMetrics(resourceMetrics, text);
  });
  const i = instruments(sdk.meter);
  seedCounters(i, hot, options);
  return recordingMetrics(
    i,
    hot,
    options,
    async () => {
      const chunks = [await sdk.current()];
      for (const family of hot.families) {
        const bytes = family.page();
        if (bytes.length > 0) chunks.push(bytes);
      }
      return chunks;
    },
    () => provider.shutdown(),
  );
}

/**
 * What every request or search records, kept off the SDK (metrics-hot-series.ts): each family
 * writes its own part of the page, and only the series that moved since the last scrape.
 */
function hotSeries() {
  const histograms = {
    http: new HotHistogram(HISTOGRAMS.http),
    search: new HotHistogram(HISTOGRAMS.search),
    db: new HotHistogram(HISTOGRAMS.db),
    // Every scrape records one: in the SDK, it would make every collection a new one.
    render: new HotHistogram(HISTOGRAMS.render),
  };
  const counters = {
    searches: new HotCounter(COUNTERS.searches),
    cohortUsers: new HotCounter(COUNTERS.cohortUsers),
    flags: new HotCounter(COUNTERS.flags),
    resultCache: new HotCounter(COUNTERS.resultCache),
    cache: new HotCounter(COUNTERS.cache),
  };
  const bySpec = new Map(Object.values(histograms).map((h) => [h.spec, h]));
  const families = [...Object.values(histograms), ...Object.values(counters)];
  return { histograms, counters, bySpec, families };
}

type HotSeries = ReturnType<typeof hotSeries>;

function recordingMetrics(
  i: Instruments,
  hot: HotSeries,
  options: MetricsOptions,
  collect: () => Promise<Buffer[]>,
  shutdown: () => Promise<void>,
): ServiceMetrics {
  // Values that come from outside (LLM error classes, models, flag variants) are capped in number.
  const errorTypes = new BoundedLabel(32);
  const models = new BoundedLabel(32);
  const variants = new BoundedLabel(16);
  // One attribute object per series, reused: the hot path (every search records 5–6 series)
  // then builds no objects. Every label value is bounded (route templates, methods, statuses,
  // modes, capped labels), so the memos are too.
  const memo = {
    http: new AttrsMemo(
      (route: string, method: string, status: number, mode: SearchMode | undefined) =>
        httpAttrs(route, method, status, mode),
    ),
    search: new AttrsMemo((mode: SearchMode, variant: string) => searchAttrs(mode, variant)),
    searchOutcome: new AttrsMemo((mode: SearchMode, variant: string, outcome: SearchOutcome) => ({
      ...searchAttrs(mode, variant),
      outcome,
    })),
    cohort: new AttrsMemo((variant: string) => ({ [ATTR_FLAG_VARIANT]: variant })),
    db: new AttrsMemo((operation: DbOperation, errorType: string | undefined) =>
      dbAttrs(operation, errorType),
    ),
    result: new AttrsMemo((result: string) => ({ result })),
    flag: new AttrsMemo((flag: string, variant: string, segment: UserSegment) => ({
      'feature_flag.key': flag,
      'feature_flag.variant': variant,
      segment,
    })),
  };
  const { histograms, counters } = hot;
  const callAttrs = (c: LlmCallRecord) => {
    const model = models.bound(c.model);
    return { model: modelAttrs(c.provider, model), genAi: genAiAttrs(c.provider, model) };
  };
  return {
    enabled: true,
    recordHttp(route, method, status, seconds, searchMode) {
      const m = HTTP_METHODS.has(method) ? method : HTTP_REQUEST_METHOD_VALUE_OTHER;
      histograms.http.record(seconds, memo.http.get(route, m, status, searchMode));
    },
    recordSearch(mode, outcome, seconds, variant = MODE_VARIANT[mode]) {
      const v = variants.bound(variant);
      counters.searches.add(1, memo.searchOutcome.get(mode, v, outcome, undefined));
      histograms.search.record(seconds, memo.search.get(mode, v, undefined, undefined));
    },
    recordCohortUser(variant) {
      const v = variants.bound(variant);
      counters.cohortUsers.add(1, memo.cohort.get(v, undefined, undefined, undefined));
    },
    recordDb(operation, seconds, errorType) {
      const e = errorType && errorTypes.bound(errorType);
      histograms.db.record(seconds, memo.db.get(operation, e || undefined, undefined, undefined));
    },
    recordCall(call) {
      const { model, genAi } = callAttrs(call);
      const failed = call.errorType !== undefined;
      i.genAi.record(
        call.durationMs / 1000,
        failed ? { ...genAi, [ATTR_ERROR_TYPE]: call.errorType as string } : genAi,
      );
      if (call.inputTokens > 0 || !failed)
        i.tokens.record(call.inputTokens, {
          ...genAi,
          [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_INPUT,
        });
      if (call.outputTokens > 0 || !failed)
        i.tokens.record(call.outputTokens, {
          ...genAi,
          [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
        });
      if (options.costTracking && call.costUsd > 0) i.cost.add(call.costUsd, model);
    },
    recordCache(hit) {
      counters.cache.add(1, memo.result.get(hit ? 'hit' : 'miss', undefined, undefined, undefined));
    },
    recordResultCache(result) {
      counters.resultCache.add(1, memo.result.get(result, undefined, undefined, undefined));
    },
    recordFlag(flag, variant, segment) {
      const v = variants.bound(variant);
      counters.flags.add(1, memo.flag.get(flag, v, segment, undefined));
    },
    watchFlagStore(connected) {
      i.flagStore.addCallback((result) => result.observe(connected() ? 1 : 0));
    },
    recordFeedback(rating) {
      i.rating.record(rating);
    },
    recordNoCall(reason) {
      i.skipped.add(1, { reason });
    },
    recordCoalesced() {
      i.coalesced.add(1);
    },
    async render() {
      const started = performance.now();
      const chunks = await collect();
      const renderSeconds = (performance.now() - started) / 1000;
      histograms.render.record(renderSeconds, NO_ATTRIBUTES);
      return pageOf(200, 'text/plain; version=0.0.4; charset=utf-8', chunks, renderSeconds);
    },
    shutdown,
  };
}

/** Monitoring off: nothing is recorded (no SDK is even created); /metrics says why it is empty. */
function noopMetrics(): ServiceMetrics {
  const nothing = () => {};
  return {
    enabled: false,
    recordHttp: nothing,
    recordSearch: nothing,
    recordCohortUser: nothing,
    recordDb: nothing,
    recordCall: nothing,
    recordCache: nothing,
    recordResultCache: nothing,
    recordFlag: nothing,
    watchFlagStore: nothing,
    recordFeedback: nothing,
    recordNoCall: nothing,
    recordCoalesced: nothing,
    render: async () => OFF_PAGE,
    shutdown: async () => {},
  };
}
