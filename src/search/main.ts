// Composition root of the search service: the one place where the real collaborators are made
// (database, flag store and evaluator, LLM layer, metrics, HTTP) and wired together.
import os from 'node:os';
import path from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createFlagEvaluator } from '../flags/evaluator.js';
import { createFileFlagStore } from '../flags/file-flag-store.js';
import { createPgFlagStore } from '../flags/postgres/pg-flag-store.js';
import { redactUrl } from '../flags/flags-url.js';
import { AI_SEARCH_FLAG } from '../flags/types.js';
import { CohortUsers } from './cohort-users.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { clientCallsPerReplica, secretValues, type Config } from '../shared/config.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { openContactsStore, type ContactsStore, type TermIndexReport } from './contacts/store.js';
import { buildApp } from './http/app.js';
import { startMetricsPort, type MetricsPort } from './http/metrics-port.js';
import type { NotReady } from './http/health-routes.js';
import { createQueryUnderstanding, describeProviders } from './llm/index.js';
import type { LlmTelemetry, QueryUnderstanding } from './llm/types.js';
import { createServiceMetrics, type ServiceMetrics } from './metrics.js';
import { ClientShare } from './client-share.js';
import { RecentSearches } from './recent-searches.js';
import { SearchService } from './search-service.js';
import { TokenBuckets } from './token-buckets.js';

export const DEFAULT_CONTACTS = 50_000;
export const DEFAULT_USERS = 10_000;

/**
 * Reader worker threads for searches. Two on a machine with two or more cores: the event loop and
 * the readers then share the cores, and more readers than cores only queue inside SQLite instead
 * (npm run bench:service compares 0, 1 and 2).
 */
export const defaultDbReaders = (): number => Math.min(2, os.availableParallelism());

/**
 * Contacts kept in the search result cache (src/search/contacts/result-cache.ts): 20,000 is 2,000
 * ten-result searches, about 10 MB.
 */
export const DEFAULT_RESULT_CACHE_ROWS = 20_000;

export interface ClientRateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export interface StartServiceOptions {
  readonly config: Config;
  /** Port to listen on; 0 picks a free one. Default: config.ports.service. */
  readonly port?: number;
  readonly host?: string;
  /** Contacts generated when the database is new. */
  readonly contacts?: number;
  readonly users?: number;
  /** Default: <dataDir>/contacts.sqlite. */
  readonly dbFile?: string;
  readonly seed?: number;
  /** Reader worker threads for searches; 0 runs them on the event loop. Default defaultDbReaders(). */
  readonly dbReaders?: number;
  /** Contacts kept in the search result cache; 0 turns it off. Default DEFAULT_RESULT_CACHE_ROWS. */
  readonly resultCacheRows?: number;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Per-client request limit on /api/* (429 + Retry-After); false turns it off. */
  readonly clientRateLimit?: ClientRateLimit | false;
  /** Replaces the real LLM layer (tests only). */
  readonly understanding?: (telemetry: LlmTelemetry) => QueryUnderstanding;
  readonly flagPollMs?: number;
  /**
   * Port of the metrics port (/metrics from a thread of its own, http/metrics-port.ts); 0 picks
   * a free one. Default: config.ports.metrics (SEARCH_METRICS_PORT); neither: no metrics port.
   */
  readonly metricsPort?: number;
  /** The metrics port's refresh and staleness (tests). */
  readonly metricsPortTiming?: { readonly refreshMs?: number; readonly staleAfterMs?: number };
}

export interface RunningService {
  readonly url: string;
  /** The metrics port's /metrics, when there is one. */
  readonly metricsUrl: string | undefined;
  readonly store: ContactsStore;
  /** Answers one request in-process through the same app that listens (fast property tests). */
  inject(request: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const DEFAULT_CLIENT_RATE_LIMIT: ClientRateLimit = { perSecond: 100, burst: 200 };

/** What a start or `--migrate-only` did about the keyword postings, when it did anything. */
export function logTermIndex(logger: Logger, dbFile: string, termIndex: TermIndexReport): void {
  if (termIndex.state === 'failed') {
    logger.warn(
      { dbFile, error: termIndex.error },
      'keyword postings not built: FTS5 ranks every keyword search (same answers, slower)',
    );
  } else if (termIndex.state === 'built') {
    const { terms, postings, ms } = termIndex;
    logger.info(
      { dbFile, terms, postings, ms: Math.round(ms) },
      'keyword postings built from the FTS index',
    );
  }
}

function openStore(options: StartServiceOptions, metrics: ServiceMetrics, logger: Logger) {
  const dbFile = options.dbFile ?? path.join(options.config.dataDir, 'contacts.sqlite');
  const { store, migrations, seeded, termIndex } = openContactsStore({
    file: dbFile,
    contacts: options.contacts ?? DEFAULT_CONTACTS,
    users: options.users ?? DEFAULT_USERS,
    seed: options.seed,
    observe: metrics.recordDb,
    readers: options.dbReaders ?? defaultDbReaders(),
    resultCacheRows: options.resultCacheRows ?? DEFAULT_RESULT_CACHE_ROWS,
    onCacheLookup: metrics.recordResultCache,
    onReaderExit: (info) =>
      logger.error(info, 'a database reader thread exited; its searches failed, it is replaced'),
  });
  const applied = migrations.applied.map((m) => m.version);
  logger.info(
    { dbFile, schemaVersion: migrations.version, applied, seeded, ...store.counts() },
    seeded.contacts > 0
      ? `contacts database seeded in ${Math.round(seeded.ms)} ms`
      : 'contacts database opened',
  );
  logTermIndex(logger, dbFile, termIndex);
  return { store, dbFile };
}

/** The flag store and evaluator of wherever the flags live: FLAGS_URL (PostgreSQL) or the file. */
async function startFlags(options: StartServiceOptions, logger: Logger, clock: Clock) {
  const { flagsFile, bootstrap, flagsUrl } = options.config;
  const pollMs = options.flagPollMs;
  if (flagsUrl) return startPostgresFlags(options.config, flagsUrl, logger, clock);
  const flagStore = createFileFlagStore({ path: flagsFile, bootstrap, logger, clock });
  // The file is the truth once it exists; create it from the bootstrap variables on first start.
  const ensured = await flagStore.ensureFlagFile();
  if (!ensured.ok) {
    logger.warn(
      { flagsFile, error: ensured.error },
      'flag file not created; serving bootstrap values',
    );
  }
  const flags = await createFlagEvaluator({
    path: flagsFile,
    bootstrap,
    logger,
    ...(pollMs !== undefined ? { pollMs } : {}),
  });
  return { flagStore, flags, close: () => flags.close() };
}

/**
 * Migrations and the bootstrap flags on start-up. An unreachable database does not stop the
 * service: it serves every flag off and says so on /readyz, prepares the store in the background
 * (1 s doubling to 30 s) and follows it once reached, so replicas may start before PostgreSQL.
 */
async function startPostgresFlags(config: Config, url: string, logger: Logger, clock: Clock) {
  const flagStore = createPgFlagStore({ url, bootstrap: config.bootstrap, logger, clock });
  const stop = new AbortController();
  const prepare = async () => {
    await flagStore.migrate();
    await flagStore.ensureSeeded();
  };
  const retry = async (delayMs: number): Promise<void> => {
    await clock.sleep(delayMs, stop.signal);
    if (stop.signal.aborted) return;
    try {
      await prepare();
      logger.info({ store: flagStore.path }, 'flag store prepared (migrations, bootstrap flags)');
    } catch {
      return retry(Math.min(delayMs * 2, 30_000));
    }
  };
  let retrying: Promise<void> | undefined;
  await prepare().catch((err: unknown) => {
    logger.warn(
      { store: flagStore.path, error: (err as Error).message },
      'flag store not prepared (migrations, bootstrap flags); retrying in the background',
    );
    retrying = retry(1_000);
  });
  const flags = await createFlagEvaluator({
    path: config.flagsFile,
    bootstrap: config.bootstrap,
    logger,
    clock,
    postgres: { url, staleAfterMs: config.flagsStaleAfterMs, policy: config.flagsStalePolicy },
  });
  const close = async () => {
    stop.abort();
    await retrying;
    await flags.close();
    await flagStore.close();
  };
  return { flagStore, flags, close };
}

function perUserAiQuota(config: Config, clock: Clock): TokenBuckets | undefined {
  const perMinute = config.rateLimitPerMinute;
  return perMinute > 0
    ? new TokenBuckets({ capacity: perMinute, refillPerSecond: perMinute / 60 }, clock)
    : undefined;
}

function perClientShare(config: Config, clock: Clock): ClientShare | undefined {
  const { windowSeconds } = config.clientShare;
  // This replica's part of the fleet-wide share: shares live in each process's memory.
  const calls = clientCallsPerReplica(config);
  if (calls === 0) return undefined;
  const reserve = Math.max(1, config.providers.length);
  return new ClientShare({ calls, windowMs: windowSeconds * 1000, reserve }, clock);
}

function perClientLimit(options: StartServiceOptions, clock: Clock): TokenBuckets | undefined {
  const limit = options.clientRateLimit ?? DEFAULT_CLIENT_RATE_LIMIT;
  return limit
    ? new TokenBuckets({ capacity: limit.burst, refillPerSecond: limit.perSecond }, clock)
    : undefined;
}

export async function startService(options: StartServiceOptions): Promise<RunningService> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger =
    options.logger ??
    createLogger({ name: 'ai-search', level: config.logLevel, secrets: secretValues(config) });
  const metrics = createServiceMetrics({
    enabled: config.monitoringEnabled,
    costTracking: config.costTrackingEnabled,
    providers: config.providers,
    flags: [AI_SEARCH_FLAG],
  });
  // Whatever was opened is closed again if a later step fails (e.g. the port is taken).
  const cleanup: (() => Promise<void> | void)[] = [() => metrics.shutdown()];
  let closing: Promise<void> | undefined;
  const closeAll = () =>
    (closing ??= (async () => {
      for (const step of [...cleanup].reverse()) await step();
    })());
  try {
    const { store, dbFile } = openStore(options, metrics, logger);
    cleanup.push(() => store.close());
    const { flagStore, flags, close: closeFlags } = await startFlags(options, logger, clock);
    cleanup.push(closeFlags);
    metrics.watchFlagStore(() => flags.storeConnected());
    // A flag change starts a rollout step: distinct users are counted afresh from it.
    const cohortUsers = new CohortUsers();
    cleanup.push(flags.onChange(() => cohortUsers.reset()));
    const service = new SearchService({
      store,
      flags,
      understanding:
        options.understanding?.(metrics) ??
        createQueryUnderstanding({ config, telemetry: metrics, logger, clock }),
      metrics,
      recent: new RecentSearches(clock),
      aiQuota: perUserAiQuota(config, clock),
      share: perClientShare(config, clock),
      aiTimeoutMs: config.timeoutMs,
      clock,
      logger,
      cohortUsers,
    });
    const app = buildApp({
      service,
      flagStore,
      metrics,
      adminToken: config.flagAdminToken,
      clientLimit: perClientLimit(options, clock),
      logger,
      readiness: () => {
        const notReady: NotReady[] = [];
        const db = store.ping();
        if (db === 'database-closed') {
          notReady.push({
            reason: 'the contacts database is not open',
            detail: `the contacts database ${dbFile} is not open`,
          });
        } else if (db === 'no-readers') {
          notReady.push({
            reason: 'no database reader thread is running (being restarted)',
            detail: `no database reader thread is running for ${dbFile}; see the log for why the last one exited`,
          });
        }
        const flagError = flags.lastLoadError();
        if (flagError) {
          notReady.push({
            reason: 'flags not loaded: the flag file is unreadable or invalid',
            detail: `flags not loaded: ${flagError}`,
          });
        }
        const link = flags.storeHealth();
        if (link.reason)
          notReady.push({
            reason: link.reason,
            detail: link.detail ?? link.reason,
            ...(link.ready ? { degraded: true as const } : {}),
          });
        return notReady;
      },
    });
    cleanup.push(() => app.close());
    const url = await app.listen({
      port: options.port ?? config.ports.service,
      host: options.host ?? '127.0.0.1',
    });
    const metricsPort = await startMetricsPortIfAsked(options, metrics, logger);
    if (metricsPort) cleanup.push(() => metricsPort.close());
    logStarted(config, url, metricsPort?.url, metrics.enabled, logger);
    return {
      url,
      metricsUrl: metricsPort?.url,
      store,
      inject: (request) => app.inject(request),
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function startMetricsPortIfAsked(
  options: StartServiceOptions,
  metrics: ServiceMetrics,
  logger: Logger,
): Promise<MetricsPort> | undefined {
  const port = options.metricsPort ?? options.config.ports.metrics;
  if (port === undefined) return undefined;
  return startMetricsPort({
    render: () => metrics.render(),
    port,
    host: options.host ?? '127.0.0.1',
    logger,
    ...options.metricsPortTiming,
  });
}

function logStarted(
  config: Config,
  url: string,
  metricsUrl: string | undefined,
  monitoring: boolean,
  logger: Logger,
): void {
  const chain = describeProviders(config);
  logger.info({ providers: chain.providers }, chain.message);
  const flagAdmin = config.flagAdminToken ? 'on' : 'off';
  const flagsAt = config.flagsUrl ? redactUrl(config.flagsUrl) : config.flagsFile;
  const also = metricsUrl ? ` (metrics also at ${metricsUrl})` : '';
  logger.info(
    { url, metricsUrl, monitoring, flags: flagsAt, flagAdmin },
    `search service listening on ${url}${also}`,
  );
}
