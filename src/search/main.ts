// Composition root of the search service: the one place where the real collaborators are made
// (database, flag store and evaluator, LLM layer, metrics, HTTP) and wired together.
import path from 'node:path';
import { createFlagEvaluator } from '../flags/evaluator.js';
import { createFileFlagStore } from '../flags/file-flag-store.js';
import { AI_SEARCH_FLAG } from '../flags/types.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { secretValues, type Config } from '../shared/config.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { openContactsStore, type ContactsStore } from './contacts/store.js';
import { buildApp } from './http/app.js';
import { createQueryUnderstanding, describeProviders } from './llm/index.js';
import type { LlmTelemetry, QueryUnderstanding } from './llm/types.js';
import { createServiceMetrics } from './metrics.js';
import { RecentSearches } from './recent-searches.js';
import { SearchService } from './search-service.js';
import { TokenBuckets } from './token-buckets.js';

export const DEFAULT_CONTACTS = 50_000;
export const DEFAULT_USERS = 10_000;

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
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Per-client request limit on /api/* (429 + Retry-After); false turns it off. */
  readonly clientRateLimit?: ClientRateLimit | false;
  /** Replaces the real LLM layer (tests only). */
  readonly understanding?: (telemetry: LlmTelemetry) => QueryUnderstanding;
  readonly flagPollMs?: number;
}

export interface RunningService {
  readonly url: string;
  readonly store: ContactsStore;
  close(): Promise<void>;
}

export const DEFAULT_CLIENT_RATE_LIMIT: ClientRateLimit = { perSecond: 100, burst: 200 };

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
  const dbFile = options.dbFile ?? path.join(config.dataDir, 'contacts.sqlite');
  const { store, migrations, seeded } = openContactsStore({
    file: dbFile,
    contacts: options.contacts ?? DEFAULT_CONTACTS,
    users: options.users ?? DEFAULT_USERS,
    seed: options.seed,
    observe: metrics.recordDb,
  });
  logger.info(
    {
      dbFile,
      schemaVersion: migrations.version,
      applied: migrations.applied.map((m) => m.version),
      seeded,
      ...store.counts(),
    },
    seeded.contacts > 0
      ? `contacts database seeded in ${Math.round(seeded.ms)} ms`
      : 'contacts database opened',
  );

  const flagStore = createFileFlagStore({
    path: config.flagsFile,
    bootstrap: config.bootstrap,
    logger,
    clock,
  });
  const ensured = await flagStore.ensureFlagFile();
  if (!ensured.ok)
    logger.warn(
      { flagsFile: config.flagsFile, error: ensured.error },
      'flag file not created; serving bootstrap values',
    );
  const flags = await createFlagEvaluator({
    path: config.flagsFile,
    bootstrap: config.bootstrap,
    logger,
    ...(options.flagPollMs !== undefined ? { pollMs: options.flagPollMs } : {}),
  });

  const understanding =
    options.understanding?.(metrics) ??
    createQueryUnderstanding({ config, telemetry: metrics, logger, clock });
  const perMinute = config.rateLimitPerMinute;
  const service = new SearchService({
    store,
    flags,
    understanding,
    metrics,
    recent: new RecentSearches(clock),
    aiQuota:
      perMinute > 0
        ? new TokenBuckets({ capacity: perMinute, refillPerSecond: perMinute / 60 }, clock)
        : undefined,
    aiTimeoutMs: config.timeoutMs,
    logger,
  });
  const limit = options.clientRateLimit ?? DEFAULT_CLIENT_RATE_LIMIT;
  const app = buildApp({
    service,
    flagStore,
    metrics,
    adminToken: config.flagAdminToken,
    clientLimit: limit
      ? new TokenBuckets({ capacity: limit.burst, refillPerSecond: limit.perSecond }, clock)
      : undefined,
    logger,
    readiness: () => {
      const reasons: string[] = [];
      if (!store.ping()) reasons.push(`the contacts database ${dbFile} is not open`);
      const flagError = flags.lastLoadError();
      if (flagError) reasons.push(`flags not loaded: ${flagError}`);
      return reasons;
    },
  });

  const url = await app.listen({
    port: options.port ?? config.ports.service,
    host: options.host ?? '127.0.0.1',
  });
  const chain = describeProviders(config);
  logger.info({ providers: chain.providers }, chain.message);
  logger.info(
    {
      url,
      monitoring: metrics.enabled,
      flagsFile: config.flagsFile,
      flagAdmin: config.flagAdminToken ? 'on' : 'off',
    },
    `search service listening on ${url}`,
  );
  return {
    url,
    store,
    async close() {
      await app.close();
      await flags.close();
      await metrics.shutdown();
      store.close();
    },
  };
}
