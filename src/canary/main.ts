// Composition root of the canary daemon: real collaborators are created here and nowhere else.
// `startDaemon` is used by the CLI, the local-stack orchestrator and the tests (in-process).
import { hostname } from 'node:os';
import path from 'node:path';
import { systemClock, type Clock } from '../shared/clock.js';
import { loadConfig, type Config } from '../shared/config.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createFileFlagStore } from '../flags/file-flag-store.js';
import { createPgFlagStore } from '../flags/postgres/pg-flag-store.js';
import type { ConditionalFlagStore } from '../flags/types.js';
import { ActionRunner } from './actions/action-runner.js';
import type { Action } from './actions/action.js';
import { createImmediateRollback } from './actions/immediate-rollback.js';
import { createExternalLabelSource } from './actions/external-labels.js';
import { createNotify, type NotifyOptions, type Team } from './actions/notify.js';
import { CanaryDaemon, type ReloadResult } from './engine/canary-daemon.js';
import { evaluateRule } from './engine/evaluator.js';
import { buildHttpServer } from './http/http-server.js';
import { DaemonMetrics } from './metrics.js';
import {
  createPrometheusClient,
  displayUrl,
  type PrometheusClient,
} from './prometheus/prometheus-client.js';
import { PrometheusWatch } from './engine/prometheus-watch.js';
import { RuleEngine, type EvaluateFn } from './engine/rule-engine.js';
import { loadRuleFiles } from './rules/load-rules.js';
import { inliningRecorded } from './rules/inline-loaded.js';
import { watchRuleFiles, type LoadRulesFn } from './engine/rule-source.js';
import { StateStore } from './engine/state-store.js';
import { activeAlerts } from './rollout/active-alerts.js';
import { localLeadership, type Leadership } from './rollout/leadership.js';
import { createPgLeaderLease } from './rollout/pg-leader-lease.js';
import { RolloutDriver } from './rollout/rollout-driver.js';
import { RolloutStore } from './rollout/rollout-store.js';
import { buildStatusSnapshot, StatusBoard } from './http/status-snapshot.js';
import type { ActionName } from './types.js';

export interface DaemonOptions {
  readonly ruleFiles: readonly string[];
  readonly prometheusUrl: string;
  /**
   * Sent with every request to the metrics backend: tenant headers and auth, from
   * `requestHeaders` (src/shared/prometheus-access.ts). The caller scrubs their secrets from logs.
   */
  readonly prometheusHeaders?: Readonly<Record<string, string>>;
  /**
   * Query alerts with the recorded series they read replaced by their recording rules
   * (rules/inline-recorded.ts), for a backend that runs no recording rules (VictoriaMetrics
   * single node, Thanos Query without a ruler).
   */
  readonly inlineRecorded?: boolean;
  readonly dataDir: string;
  readonly flagsFile: string;
  /** FLAGS_URL: roll back in this PostgreSQL flag store instead of the file. */
  readonly flagsUrl?: string;
  readonly intervalMs?: number;
  readonly dryRun?: boolean;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly host?: string;
  readonly alertmanagerUrl?: string;
  /** Tenant headers and auth for Alertmanager (`requestHeaders` of its access). */
  readonly alertmanagerHeaders?: Readonly<Record<string, string>>;
  readonly webhooks?: Readonly<Partial<Record<Team, string>>>;
  readonly queryTimeoutMs?: number;
  readonly resendDelayMs?: number;
  readonly adminToken?: string;
  /** Bootstrap values for a flag file that does not exist yet. */
  readonly bootstrap?: Config['bootstrap'];
  /** Consecutive failed evaluations before CanaryPrometheusUnreachable fires. */
  readonly failureThreshold?: number;
  /** Prometheus requests in flight at once (8). */
  readonly queryConcurrency?: number;
  /** Alert expressions per batched query (50; 1 = one query per rule). */
  readonly queryBatchSize?: number;
  readonly watchRuleFiles?: boolean;
  readonly rollbackBackoffMs?: { readonly initial: number; readonly max: number };
  /** The rollout plan `canary rollout start` runs (rollouts/ai-search.yml); none: start refuses. */
  readonly rolloutPlan?: string;
  // Collaborators tests may replace.
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly flagStore?: ConditionalFlagStore;
  readonly prometheus?: PrometheusClient;
  readonly loadRules?: LoadRulesFn;
  readonly evaluate?: EvaluateFn;
  /** Who may move the rollout where several daemons run (default: always this one). */
  readonly leadership?: Leadership;
}

export interface RunningDaemon {
  readonly url: string;
  readonly statePath: string;
  /** Reloads the rule files; `trigger` names the cause in logs (SIGHUP, api…). */
  reload(trigger?: string): Promise<ReloadResult>;
  /** Stops scheduling, lets the running evaluation finish, saves state, closes the server. */
  close(): Promise<void>;
}

export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  const clock = o.clock ?? systemClock;
  const logger = o.logger ?? createLogger({ name: 'canary-daemon', level: 'info' });
  const dryRun = o.dryRun ?? false;
  const parts = await assemble(o, clock, logger, dryRun);
  const { daemon, runner, store, prometheus, flags, notify, status, rollout } = parts;
  logDestinations(logger, o, dryRun);
  void notify.externalLabels?.get(); // read ahead, so the first notification need not wait
  await daemon.start();
  await rollout.start();
  const app = buildHttpServer({
    logger,
    metrics: parts.metrics,
    adminToken: o.adminToken,
    status: () => status.snapshot,
    reload: (trigger) => daemon.reload(trigger),
    rollout,
  });
  let url: string;
  try {
    url = await listen(app, o.host ?? '0.0.0.0', o.port ?? 3100);
  } catch (err) {
    await rollout.stop();
    await daemon.stop();
    await runner.stop();
    throw err;
  }
  // Notifications link to the status page, known once the server listens.
  notify.generatorUrl = `${url}/`;
  const unwatch =
    o.watchRuleFiles === false
      ? () => undefined
      : watchRuleFiles(o.ruleFiles, 300, () => void daemon.reload('file change'));
  logger.info(
    { url, prometheus: prometheus.url, dryRun, state: store.path, flags: flags.path },
    `canary daemon listening on ${url}`,
  );
  let closing: Promise<void> | undefined;
  return {
    url,
    statePath: store.path,
    reload: (trigger = 'api') => daemon.reload(trigger),
    close: () =>
      (closing ??= (async () => {
        unwatch();
        await rollout.stop();
        await daemon.stop();
        await runner.stop();
        await store.save();
        await app.close();
        await parts.closeFlags();
        if (!o.prometheus) prometheus.close();
        logger.info('canary daemon stopped; state saved');
      })()),
  };
}

/** The file, or PostgreSQL (schema migrated, best effort: a rollback retries until it lands). */
async function openFlagStore(
  o: DaemonOptions,
  logger: Logger,
): Promise<{ store: ConditionalFlagStore; close(): Promise<void> }> {
  const bootstrap = o.bootstrap ?? loadConfig({}).bootstrap;
  if (!o.flagsUrl) {
    const store = createFileFlagStore({ path: o.flagsFile, bootstrap, logger });
    return { store, close: async () => {} };
  }
  const store = createPgFlagStore({ url: o.flagsUrl, bootstrap, logger });
  await store
    .migrate()
    .catch((err: unknown) =>
      logger.warn(
        { store: store.path, error: (err as Error).message },
        'flag store schema not checked (unreachable); rollbacks retry until it answers',
      ),
    );
  return { store, close: () => store.close() };
}

/** Creates every collaborator of the daemon and wires them together. */
async function assemble(o: DaemonOptions, clock: Clock, logger: Logger, dryRun: boolean) {
  const resendDelayMs = o.resendDelayMs ?? 60_000;
  const queryTimeoutMs = o.queryTimeoutMs ?? 10_000;
  const metrics = new DaemonMetrics();
  const prometheus =
    o.prometheus ??
    createPrometheusClient({
      url: o.prometheusUrl,
      headers: o.prometheusHeaders,
      timeoutMs: queryTimeoutMs,
      concurrency: o.queryConcurrency,
      batchSize: o.queryBatchSize,
    });
  const store = await StateStore.open({ dataDir: o.dataDir, clock, logger });
  const { store: flags, close: closeFlags } = o.flagStore
    ? { store: o.flagStore, close: async () => {} } // the caller's: closed by the caller
    : await openFlagStore(o, logger);
  let labelError: string | undefined;
  const notify: NotifyOptions = {
    alertmanagerUrl: o.alertmanagerUrl,
    alertmanagerHeaders: o.alertmanagerHeaders,
    webhooks: o.webhooks ?? {},
    timeoutMs: queryTimeoutMs,
    resendDelayMs,
    generatorUrl: '',
    // Only Alertmanager merges the daemon's alerts with Prometheus's; webhooks get the rule's labels.
    ...(o.alertmanagerUrl
      ? {
          externalLabels: createExternalLabelSource({
            prometheusUrl: o.prometheusUrl,
            headers: o.prometheusHeaders,
            timeoutMs: queryTimeoutMs,
            clock,
            onError: (error) => {
              if (error !== labelError)
                logger.warn(
                  { prometheus: displayUrl(o.prometheusUrl), error },
                  `cannot read Prometheus's external labels (${error}): until it answers, Alertmanager may show each alert twice (once from Prometheus, once from the daemon)`,
                );
              labelError = error;
            },
          }),
        }
      : {}),
  };
  const rollback = createImmediateRollback({
    flags,
    clock,
    logger,
    initialBackoffMs: o.rollbackBackoffMs?.initial,
    maxBackoffMs: o.rollbackBackoffMs?.max,
    metrics,
    daemonId: `${hostname()}:${process.pid}`,
  });
  const actions = new Map<ActionName, Action>([
    ['immediate_rollback', rollback],
    ['notify_dev_team', createNotify('notify_dev_team', notify)],
    ['notify_product_team', createNotify('notify_product_team', notify)],
  ]);
  const runner = new ActionRunner({
    actions,
    store,
    clock,
    logger,
    metrics,
    dryRun,
    resendDelayMs,
    onRecorded: () => status.publish(),
  });
  const failureThreshold = o.failureThreshold ?? 3;
  const evaluate = o.evaluate ?? evaluateRule;
  const watch = new PrometheusWatch({
    threshold: failureThreshold,
    runner,
    logger,
    prometheusUrl: prometheus.url,
    evaluate,
  });
  const engine = new RuleEngine({
    prometheus,
    evaluate,
    store,
    runner,
    metrics,
    logger,
    stuckAfter: failureThreshold,
    onEarlySettled: () => status.publish(),
  });
  const daemon = new CanaryDaemon({
    ruleFiles: o.ruleFiles.map((f) => path.resolve(f)),
    defaultIntervalMs: o.intervalMs ?? 15_000,
    loadRules: o.inlineRecorded
      ? inliningRecorded(o.loadRules ?? loadRuleFiles, (alerts) =>
          logger.warn(
            { notInlined: alerts },
            `--inline-recorded: ${alerts.map((a) => a.rule).join(', ')} still read recorded series (${alerts[0]!.reason}); they see no data unless the backend records them (e.g. vmalert writing recording rules to it)`,
          ),
        )
      : (o.loadRules ?? loadRuleFiles),
    ...{ clock, logger, metrics, store, engine, runner, watch, prometheus },
    onSettled: () => status.publish(),
  });
  // With several daemons on one PostgreSQL store only the lease holder moves the rollout; the
  // rollback path takes no lease (a leader's death must never delay it). One daemon: always leader.
  const lease =
    o.leadership === undefined && o.flagsUrl
      ? createPgLeaderLease({ url: o.flagsUrl, logger, clock })
      : undefined;
  const rollout = new RolloutDriver({
    store: await RolloutStore.open(o.dataDir, clock, logger),
    flags,
    prometheus,
    alerts: () => activeAlerts(store),
    leadership: o.leadership ?? lease ?? localLeadership,
    clock,
    logger,
    metrics,
    intervalMs: o.intervalMs ?? 15_000,
    defaultPlanFile: o.rolloutPlan,
    dryRun,
    onPublished: () => status.publish(),
  });
  const status = new StatusBoard(() =>
    buildStatusSnapshot({
      daemon,
      store,
      engine,
      watch,
      rollout,
      dryRun,
      prometheusUrl: prometheus.url,
    }),
  );
  return {
    metrics,
    prometheus,
    store,
    flags,
    closeFlags: async () => {
      await lease?.close();
      await closeFlags();
    },
    notify,
    runner,
    watch,
    engine,
    daemon,
    status,
    rollout,
  };
}

async function listen(
  app: ReturnType<typeof buildHttpServer>,
  host: string,
  port: number,
): Promise<string> {
  await app.listen({ port, host });
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${bound}`;
}

function logDestinations(logger: Logger, o: DaemonOptions, dryRun: boolean): void {
  if (dryRun) logger.warn('DRY RUN: actions are evaluated and recorded, never performed');
  if (o.alertmanagerUrl) {
    logger.info(
      { alertmanager: displayUrl(o.alertmanagerUrl) },
      'notifications go to Alertmanager',
    );
    return;
  }
  for (const team of ['dev_team', 'product_team'] as const) {
    if (!o.webhooks?.[team]) {
      logger.warn(
        `no destination for ${team} notifications: set ALERTMANAGER_URL, --webhook ${team}=URL or CANARY_WEBHOOK_${team.toUpperCase()}`,
      );
    }
  }
}
