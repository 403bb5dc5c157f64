// What `canary serve` does (src/cli/commands/serve.ts only parses options): read the config,
// then either apply the database migrations and exit (--migrate-only, `npm run db:migrate`) or run
// the service until SIGINT/SIGTERM. Exit codes: 0 done, 1 failed to start, 2 bad input.
import path from 'node:path';
import { ConfigError, loadConfig, secretValues, type Config } from '../shared/config.js';
import { envWithFiles, type EnvMap } from '../shared/env-files.js';
import { parseInteger } from '../shared/env-parse.js';
import { UsageError } from '../shared/usage-error.js';
import { createLogger } from '../shared/logger.js';
import { migrateDatabase } from './contacts/store.js';
import { DEFAULT_CLIENT_RATE_LIMIT, DEFAULT_CONTACTS, logTermIndex, startService } from './main.js';

export interface ServeOptions {
  readonly port?: string;
  readonly metricsPort?: string;
  readonly host?: string;
  readonly dataDir?: string;
  readonly contacts?: string;
  readonly env?: string;
  readonly migrateOnly?: boolean;
  readonly clientRateLimit?: string;
  readonly dbReaders?: string;
  readonly resultCache?: string;
}

function integer(
  name: string,
  raw: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (raw === undefined) return undefined;
  const r = parseInteger(raw, min, max);
  if (!r.ok)
    throw new UsageError(`${name} ${JSON.stringify(raw)} is not valid: expected ${r.expected}`);
  return r.value;
}

interface Prepared {
  readonly config: Config;
  readonly contacts: number;
  readonly clientRateLimit: number | undefined;
  readonly dbReaders: number | undefined;
  readonly resultCacheRows: number | undefined;
}

function prepare(o: ServeOptions, cwd: string, base: EnvMap): Prepared {
  const env = envWithFiles(o.env, cwd, base);
  if (o.dataDir !== undefined) env.DATA_DIR = o.dataDir;
  const port = integer('--port', o.port, 0, 65535);
  if (port !== undefined) env.SEARCH_PORT = String(port);
  const metricsPort = integer('--metrics-port', o.metricsPort, 0, 65535);
  if (metricsPort !== undefined) env.SEARCH_METRICS_PORT = String(metricsPort);
  const contacts =
    integer('--contacts', o.contacts, 1, 10_000_000) ??
    integer('AI_SEARCH_SEED_CONTACTS', env.AI_SEARCH_SEED_CONTACTS, 1, 10_000_000) ??
    DEFAULT_CONTACTS;
  const clientRateLimit = integer('--client-rate-limit', o.clientRateLimit, 0, 1_000_000);
  const dbReaders = integer('--db-readers', o.dbReaders, 0, 16);
  const resultCacheRows = integer('--result-cache', o.resultCache, 0, 10_000_000);
  try {
    return { config: loadConfig(env, cwd), contacts, clientRateLimit, dbReaders, resultCacheRows };
  } catch (err) {
    throw new UsageError(err instanceof ConfigError ? err.message : (err as Error).message);
  }
}

export async function runServe(
  o: ServeOptions,
  cwd = process.cwd(),
  base: EnvMap = process.env,
): Promise<number> {
  let prepared: Prepared;
  try {
    prepared = prepare(o, cwd, base);
  } catch (err) {
    process.stderr.write(`canary serve: ${(err as Error).message}\n`);
    return 2;
  }
  const { config, contacts, clientRateLimit, dbReaders, resultCacheRows } = prepared;
  const logger = createLogger({
    name: 'ai-search',
    level: config.logLevel,
    secrets: secretValues(config),
  });
  const dbFile = path.join(config.dataDir, 'contacts.sqlite');
  if (o.migrateOnly) {
    const report = migrateDatabase(dbFile);
    const applied = report.applied.map((m) => `${m.version} (${m.name})`);
    logger.info(
      { dbFile, version: report.version, applied },
      applied.length > 0
        ? `applied migrations ${applied.join(', ')}`
        : 'database schema is up to date',
    );
    logTermIndex(logger, dbFile, report.termIndex);
    return 0;
  }
  try {
    const limit =
      clientRateLimit === undefined
        ? DEFAULT_CLIENT_RATE_LIMIT
        : clientRateLimit === 0
          ? false
          : { perSecond: clientRateLimit, burst: clientRateLimit * 2 };
    const running = await startService({
      config,
      contacts,
      dbFile,
      logger,
      clientRateLimit: limit,
      ...(dbReaders !== undefined ? { dbReaders } : {}),
      ...(resultCacheRows !== undefined ? { resultCacheRows } : {}),
      ...(o.host ? { host: o.host } : {}),
    });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    logger.info('stopping the search service');
    await running.close();
    logger.info('search service stopped');
    return 0;
  } catch (err) {
    logger.fatal({ err }, 'the search service could not start');
    return 1;
  }
}
