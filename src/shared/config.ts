// Every environment variable of the deployment guide (and the few the programs add), read and
// validated once into a frozen, typed object. A bad value stops the program with a message that
// names the variable and says what it accepts; all problems are reported together.
import path from 'node:path';
import { parsePostgresUrl, redactUrl, urlPassword } from '../flags/flags-url.js';
import {
  parseBool,
  parseDurationMs,
  parseEnum,
  parseHttpUrl,
  parseInteger,
  parseList,
  parsePort,
  type Parsed,
} from './env-parse.js';
import type { AccessEnv } from './prometheus-access.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const FLAGS_STALE_POLICIES = ['keep', 'off'] as const;
export type FlagsStalePolicy = (typeof FLAGS_STALE_POLICIES)[number];

export const PROVIDERS = ['openai', 'openrouter', 'anthropic'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface ProviderConfig {
  readonly name: ProviderName;
  /** Absent when no key is set: the provider then talks to the local LLM simulator. */
  readonly apiKey: string | undefined;
  readonly baseUrl: string;
  readonly model: string;
  /** True when this provider is served by the local LLM simulator. */
  readonly simulated: boolean;
}

export interface Config {
  readonly env: string;
  readonly dataDir: string;
  readonly flagsFile: string;
  /** FLAGS_URL: the flags live in this PostgreSQL database instead of the file (docs/flags.md). */
  readonly flagsUrl: string | undefined;
  /** How long a replica that lost the flag store serves its last known flags before its policy. */
  readonly flagsStaleAfterMs: number;
  /** What it does then: keep the last known flags, or turn every flag off (the default). */
  readonly flagsStalePolicy: FlagsStalePolicy;
  readonly flagAdminToken: string | undefined;
  readonly bootstrap: {
    readonly aiSearchEnabled: boolean;
    readonly rolloutPercentage: number;
    readonly internalUsers: boolean;
    readonly betaUsers: boolean;
  };
  readonly monitoringEnabled: boolean;
  readonly logLevel: LogLevel;
  readonly costTrackingEnabled: boolean;
  readonly cacheTtlSeconds: number;
  /** Seconds a failed query is answered in keyword mode without a new LLM call; 0 = off. */
  readonly negativeCacheTtlSeconds: number;
  readonly maxConcurrentRequests: number;
  readonly timeoutMs: number;
  readonly rateLimitPerMinute: number;
  /**
   * Each client's share of the LLM calls: at most `calls` per `windowSeconds`, per user id and per
   * client address separately (calls 0 = no share). The window is the AI error rule's (5 minutes).
   */
  readonly clientShare: { readonly calls: number; readonly windowSeconds: number };
  /**
   * How many replicas of the service run (AI_SEARCH_REPLICAS). Each keeps its client shares in its
   * own memory, so each enforces 1/replicas of `clientShare.calls`: a client spread over every
   * replica still gets at most `calls` in all (see clientCallsPerReplica).
   */
  readonly replicas: number;
  readonly maxTokensPerRequest: number;
  readonly llmSimUrl: string;
  /** The fallback chain, in order. */
  readonly providers: readonly ProviderConfig[];
  readonly ports: {
    readonly service: number;
    readonly daemon: number;
    readonly llmSim: number;
    /** SEARCH_METRICS_PORT: the service's /metrics on a thread of its own; unset, none. */
    readonly metrics: number | undefined;
  };
  readonly serviceUrl: string;
  readonly prometheusUrl: string;
  /** PROMETHEUS_BEARER_TOKEN / _BASIC_AUTH_USER / _BASIC_AUTH_PASSWORD, checked in prometheus-access.ts. */
  readonly prometheusAuth: AccessEnv;
  readonly alertmanagerUrl: string | undefined;
  /** ALERTMANAGER_BEARER_TOKEN / _BASIC_AUTH_USER / _BASIC_AUTH_PASSWORD, checked like prometheusAuth. */
  readonly alertmanagerAuth: AccessEnv;
  /** Bearer token for the canary daemon's POST /-/reload; without it, reload over HTTP is loopback-only. */
  readonly canaryAdminToken: string | undefined;
  /** Per-team webhooks for the daemon's notifications when no Alertmanager is configured. */
  readonly canaryWebhooks: {
    readonly devTeam: string | undefined;
    readonly productTeam: string | undefined;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Collects problems while reading variables, so one run reports them all. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v;
  }

  /** `show` prints the bad value for the message: a value that may hold a secret passes a redactor. */
  get<T>(
    name: string,
    parse: (raw: string) => Parsed<T>,
    fallback: T,
    show: (raw: string) => string = (v) => v,
  ): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const r = parse(raw);
    if (r.ok) return r.value;
    // Never echo a value that might be a secret: these are non-secret settings, or redacted.
    this.problems.push(`${name}=${JSON.stringify(show(raw))} is not valid: expected ${r.expected}`);
    return fallback;
  }
}

const DEFAULT_MODELS: Record<ProviderName, string> = {
  openai: 'gpt-4o-mini',
  openrouter: 'openai/gpt-4o-mini',
  anthropic: 'claude-3-5-haiku-latest',
};

const DEFAULT_BASE_URLS: Record<ProviderName, string> = {
  openai: 'https://api.openai.com/v1',
  openrouter: 'https://openrouter.ai/api/v1',
  anthropic: 'https://api.anthropic.com',
};

function readProviders(r: Reader, llmSimUrl: string): ProviderConfig[] {
  const order = r.get('AI_SEARCH_PROVIDERS', (s) => parseList(s, PROVIDERS), [...PROVIDERS]);
  return order.map((name) => {
    const prefix = name.toUpperCase();
    const apiKey = r.raw(`${prefix}_API_KEY`)?.trim();
    const explicitBase = r.get(`${prefix}_BASE_URL`, parseHttpUrl, undefined);
    const simulated = apiKey === undefined && explicitBase === undefined;
    // The simulator speaks OpenAI's protocol under /v1 and Anthropic's at its root.
    const simBase = name === 'anthropic' ? llmSimUrl : `${llmSimUrl}/v1`;
    const baseUrl = explicitBase ?? (simulated ? simBase : DEFAULT_BASE_URLS[name]);
    const model = r.raw(`${prefix}_MODEL`)?.trim() ?? DEFAULT_MODELS[name];
    return Object.freeze({ name, apiKey, baseUrl, model, simulated });
  });
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const r = new Reader(env);
  const dataDir = path.resolve(cwd, r.raw('DATA_DIR') ?? 'data');
  const llmSimUrl = r.get('LLM_SIM_URL', parseHttpUrl, 'http://127.0.0.1:3200');
  const ports = Object.freeze({
    service: r.get('SEARCH_PORT', parsePort, 3000),
    daemon: r.get('CANARY_PORT', parsePort, 3100),
    llmSim: r.get('LLM_SIM_PORT', parsePort, 3200),
    metrics: r.get('SEARCH_METRICS_PORT', parsePort, undefined),
  });
  const config: Config = {
    env: r.raw('CANARY_ENV') ?? 'development',
    dataDir,
    flagsFile: path.resolve(cwd, r.raw('FLAGS_FILE') ?? path.join(dataDir, 'flags.json')),
    flagsUrl: r.get('FLAGS_URL', parsePostgresUrl, undefined, redactUrl),
    flagsStaleAfterMs: r.get(
      'FLAGS_STALE_AFTER',
      (s) => parseDurationBetween(s, 1_000, 86_400_000),
      DEFAULT_FLAGS_STALE_AFTER_MS,
    ),
    flagsStalePolicy: r.get('FLAGS_STALE_POLICY', (s) => parseEnum(s, FLAGS_STALE_POLICIES), 'off'),
    flagAdminToken: r.raw('FLAG_ADMIN_TOKEN'),
    bootstrap: Object.freeze({
      aiSearchEnabled: r.get('NEXT_PUBLIC_AI_SEARCH_ENABLED', parseBool, false),
      rolloutPercentage: r.get(
        'NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE',
        (s) => parseInteger(s, 0, 100, 'percent'),
        0,
      ),
      internalUsers: r.get('AI_SEARCH_INTERNAL_USERS', parseBool, true),
      betaUsers: r.get('AI_SEARCH_BETA_USERS', parseBool, false),
    }),
    monitoringEnabled: r.get('ENABLE_AI_SEARCH_MONITORING', parseBool, true),
    logLevel: r.get('AI_SEARCH_LOG_LEVEL', (s) => parseEnum(s, LOG_LEVELS), 'info'),
    costTrackingEnabled: r.get('COST_TRACKING_ENABLED', parseBool, true),
    cacheTtlSeconds: r.get(
      'AI_SEARCH_CACHE_TTL',
      (s) => parseInteger(s, 0, 7 * 86_400, 'seconds; 0 turns the cache off'),
      3600,
    ),
    negativeCacheTtlSeconds: r.get(
      'AI_SEARCH_NEGATIVE_CACHE_TTL',
      (s) => parseInteger(s, 0, 86_400, 'seconds; 0 turns the negative cache off'),
      60,
    ),
    maxConcurrentRequests: r.get(
      'AI_SEARCH_MAX_CONCURRENT_REQUESTS',
      (s) => parseInteger(s, 1, 10_000),
      10,
    ),
    timeoutMs: r.get(
      'AI_SEARCH_TIMEOUT',
      (s) => parseInteger(s, 100, 600_000, 'milliseconds'),
      30_000,
    ),
    rateLimitPerMinute: r.get(
      'AI_SEARCH_RATE_LIMIT',
      (s) => parseInteger(s, 0, 1_000_000, 'AI searches per user per minute; 0 means no limit'),
      100,
    ),
    clientShare: Object.freeze({
      calls: r.get(
        'AI_SEARCH_CLIENT_CALL_SHARE',
        (s) => parseInteger(s, 0, 1_000_000, 'LLM calls per client per window; 0 means no share'),
        DEFAULT_CLIENT_CALL_SHARE,
      ),
      windowSeconds: r.get(
        'AI_SEARCH_CLIENT_SHARE_WINDOW',
        (s) => parseInteger(s, 1, 86_400, 'seconds'),
        300,
      ),
    }),
    replicas: r.get(
      'AI_SEARCH_REPLICAS',
      (s) => parseInteger(s, 1, 1000, 'service replicas sharing one flag store'),
      1,
    ),
    maxTokensPerRequest: r.get(
      'AI_SEARCH_MAX_TOKENS_PER_REQUEST',
      (s) => parseInteger(s, 16, 200_000, 'tokens'),
      4000,
    ),
    llmSimUrl,
    providers: Object.freeze(readProviders(r, llmSimUrl)),
    ports,
    serviceUrl: r.get('SEARCH_URL', parseHttpUrl, `http://127.0.0.1:${ports.service}`),
    prometheusUrl: r.get('PROMETHEUS_URL', parseHttpUrl, 'http://127.0.0.1:9090'),
    prometheusAuth: Object.freeze({
      bearerToken: r.raw('PROMETHEUS_BEARER_TOKEN'),
      basicAuthUser: r.raw('PROMETHEUS_BASIC_AUTH_USER'),
      basicAuthPassword: r.raw('PROMETHEUS_BASIC_AUTH_PASSWORD'),
    }),
    alertmanagerUrl: r.get('ALERTMANAGER_URL', parseHttpUrl, undefined),
    alertmanagerAuth: Object.freeze({
      bearerToken: r.raw('ALERTMANAGER_BEARER_TOKEN'),
      basicAuthUser: r.raw('ALERTMANAGER_BASIC_AUTH_USER'),
      basicAuthPassword: r.raw('ALERTMANAGER_BASIC_AUTH_PASSWORD'),
    }),
    canaryAdminToken: r.raw('CANARY_ADMIN_TOKEN'),
    canaryWebhooks: Object.freeze({
      devTeam: r.get('CANARY_WEBHOOK_DEV_TEAM', parseHttpUrl, undefined),
      productTeam: r.get('CANARY_WEBHOOK_PRODUCT_TEAM', parseHttpUrl, undefined),
    }),
  };
  checkClientShare(config, r.problems);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return Object.freeze(config);
}

/**
 * A replica cut off from the flag store keeps its last known flags this long (docs/flags.md,
 * "Staleness"): longer than a PostgreSQL restart or failover, so routine maintenance does not turn
 * AI search off fleet-wide, and short next to the 5-minute window of the rollback rule.
 */
export const DEFAULT_FLAGS_STALE_AFTER_MS = 30_000;

/** Strict duration (500ms, 30s, 5m) within bounds. */
function parseDurationBetween(raw: string, min: number, max: number): Parsed<number> {
  const d = parseDurationMs(raw);
  const expected = `a duration from 1s to 1d, such as 30s or 2m`;
  if (!d.ok || d.value < min || d.value > max) return { ok: false, expected };
  return d;
}

/** LLM calls per client per AI_SEARCH_CLIENT_SHARE_WINDOW; docs/llm.md derives the bound it gives. */
export const DEFAULT_CLIENT_CALL_SHARE = 60;

/**
 * The share one replica enforces: the fleet's share split evenly, rounded down, so the sum over
 * every replica never exceeds it (0 when there is no share).
 */
export function clientCallsPerReplica(config: Pick<Config, 'clientShare' | 'replicas'>): number {
  return Math.floor(config.clientShare.calls / config.replicas);
}

/** A search may need one call per provider; a share below that would never admit one. */
function checkClientShare(config: Config, problems: string[]): void {
  const { calls } = config.clientShare;
  const chain = config.providers.length;
  const perReplica = clientCallsPerReplica(config);
  if (calls >= chain && perReplica < chain) {
    problems.push(
      `AI_SEARCH_CLIENT_CALL_SHARE=${calls} split over AI_SEARCH_REPLICAS=${config.replicas} ` +
        `replicas leaves ${perReplica} LLM calls per replica, below the ${chain} one search may ` +
        `make: raise the share to at least ${chain * config.replicas}, or use 0 (no share)`,
    );
  }
  if (calls > 0 && calls < chain) {
    problems.push(
      `AI_SEARCH_CLIENT_CALL_SHARE=${calls} is below the ${chain} LLM calls one search may make ` +
        `(one per provider in AI_SEARCH_PROVIDERS): no AI search would ever be admitted; ` +
        `use 0 (no share) or at least ${chain}`,
    );
  }
}

/** Every secret value in the config, for the logger's last-line scrubber. */
export function secretValues(config: Config): string[] {
  const out = config.providers.map((p) => p.apiKey).filter((k): k is string => !!k);
  if (config.flagAdminToken) out.push(config.flagAdminToken);
  if (config.canaryAdminToken) out.push(config.canaryAdminToken);
  for (const auth of [config.prometheusAuth, config.alertmanagerAuth])
    for (const secret of [auth.bearerToken, auth.basicAuthPassword]) if (secret) out.push(secret);
  const dbPassword = config.flagsUrl ? urlPassword(config.flagsUrl) : undefined;
  if (dbPassword) out.push(dbPassword);
  // Chat webhooks (Slack and the like) carry their secret in the URL.
  for (const hook of [config.canaryWebhooks.devTeam, config.canaryWebhooks.productTeam]) {
    if (hook) out.push(hook);
  }
  return out;
}
