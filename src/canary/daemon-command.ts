// What `canary daemon` does (src/cli/commands/daemon.ts only parses options): read the config, start
// the daemon, run it until SIGTERM/SIGINT; SIGHUP reloads the rules. Exit codes: 0 stopped, 1 failed
// to start, 2 bad input (environment or rule files).
import { loadConfig, secretValues, ConfigError } from '../shared/config.js';
import { createLogger } from '../shared/logger.js';
import {
  accessFromOptions,
  accessSecrets,
  alertmanagerAccessFromOptions,
  describeAccess,
  requestHeaders,
  type AlertmanagerAccessCliOptions,
  type PrometheusAccessCliOptions,
} from '../shared/prometheus-access.js';
import { RuleFilesInvalidError } from './engine/canary-daemon.js';
import { startDaemon } from './main.js';
import type { Team } from './types.js';

export interface DaemonCliOptions extends PrometheusAccessCliOptions, AlertmanagerAccessCliOptions {
  rules: string[];
  inlineRecorded: boolean;
  interval: number;
  dryRun: boolean;
  port?: number;
  host: string;
  dataDir?: string;
  flagsFile?: string;
  queryTimeout: number;
  resendDelay: number;
  webhook?: Partial<Record<Team, string>>;
  rolloutPlan?: string;
}

export async function runDaemon(opts: DaemonCliOptions): Promise<number> {
  let config;
  try {
    config = loadConfig(process.env, process.cwd());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const access = accessFromOptions(opts, config);
  if (!access.ok) {
    console.error(
      `canary daemon: bad metrics backend options:\n  - ${access.problems.join('\n  - ')}`,
    );
    return 2;
  }
  const am = alertmanagerAccessFromOptions(opts, config);
  if (am && !am.ok) {
    console.error(`canary daemon: bad Alertmanager options:\n  - ${am.problems.join('\n  - ')}`);
    return 2;
  }
  const logger = createLogger({
    name: 'canary-daemon',
    level: config.logLevel,
    secrets: [
      ...secretValues(config),
      ...accessSecrets(access.access),
      ...(am ? accessSecrets(am.access) : []),
    ],
  });
  logger.info(
    {
      prometheus: describeAccess(access.access),
      inlineRecorded: opts.inlineRecorded,
      ...(am ? { alertmanager: describeAccess(am.access) } : {}),
    },
    'metrics backend',
  );
  const dataDir = opts.dataDir ?? config.dataDir;
  let daemon;
  try {
    daemon = await startDaemon({
      ruleFiles: opts.rules,
      prometheusUrl: access.access.url,
      prometheusHeaders: requestHeaders(access.access),
      inlineRecorded: opts.inlineRecorded,
      intervalMs: opts.interval,
      dryRun: opts.dryRun,
      port: opts.port ?? config.ports.daemon,
      host: opts.host,
      dataDir,
      flagsFile: opts.flagsFile ?? (opts.dataDir ? `${dataDir}/flags.json` : config.flagsFile),
      ...(config.flagsUrl && !opts.flagsFile ? { flagsUrl: config.flagsUrl } : {}),
      alertmanagerUrl: am?.access.url,
      alertmanagerHeaders: am ? requestHeaders(am.access) : undefined,
      webhooks: {
        dev_team: config.canaryWebhooks.devTeam,
        product_team: config.canaryWebhooks.productTeam,
        ...opts.webhook,
      },
      queryTimeoutMs: opts.queryTimeout,
      resendDelayMs: opts.resendDelay,
      adminToken: config.canaryAdminToken,
      ...(opts.rolloutPlan ? { rolloutPlan: opts.rolloutPlan } : {}),
      bootstrap: config.bootstrap,
      logger,
    });
  } catch (err) {
    if (err instanceof RuleFilesInvalidError) {
      console.error(`canary daemon: ${err.message}`);
      return 2;
    }
    logger.error({ err }, `canary daemon could not start: ${(err as Error).message}`);
    logger.flush?.();
    return 1;
  }
  const running = daemon;
  process.on('SIGHUP', () => void running.reload('SIGHUP'));
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info(
        { signal },
        `${signal} received: finishing the running evaluation and saving state`,
      );
      void running.close().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  logger.flush?.();
  return 0;
}
