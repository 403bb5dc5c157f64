// The whole system for end-to-end tests and the time-to-rollback bench: the LLM simulator
// (in-process, faults set directly), the search service and the canary daemon as real processes
// (`node bin/canary.js serve|daemon`, so they can be killed and restarted), a real Prometheus from
// the harness loading the rule file scaled by the local stack's fast mode, and a recording webhook
// that receives the teams' notifications. Free ports, one temporary folder; `stop()` ends it all
// and is safe to call after a failed start or twice.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createFileFlagStore, type FileFlagStore } from '../../../src/flags/file-flag-store.js';
import { startLlmSimulator, type LlmSimulator } from '../../../src/llm-sim/index.js';
import { createLogger } from '../../../src/shared/logger.js';
import { findRuleFiles, writeFastRules } from '../../../src/stack/rule-files.js';
import { FAST } from '../../../src/stack/stack.js';
import {
  eventually,
  freePort,
  launch,
  startPrometheus,
  startVictoriaMetrics,
  tail,
  type ManagedProcess,
  type PrometheusHandle,
  type VictoriaMetricsHandle,
} from '../../harness/index.js';
import { startRecordingWebhook, type RecordingWebhook } from '../../fakes/recording-webhook.js';

const BIN = path.resolve('bin/canary.js');
/** The daemon's evaluation interval and Prometheus's scrape/evaluation interval in fast mode. */
export const INTERVAL_MS = 1000;
/** `for: 5m` of ai_service_failure, scaled by fast mode. */
export const ROLLBACK_FOR_MS = (5 * 60_000) / FAST.factor;
export const AI_FLAG = 'ai-search-enabled';

/** AI search on for everyone (every segment at 100%), so every search calls the LLM. */
export const FLAG_ENV = {
  NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
  NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE: '100',
  AI_SEARCH_INTERNAL_USERS: 'true',
  AI_SEARCH_BETA_USERS: 'true',
};

export interface DaemonProcess {
  readonly proc: ManagedProcess;
  readonly url: string;
  /** When its /healthz first answered. */
  readonly readyAt: number;
}

export interface E2eStack {
  readonly dir: string;
  readonly flagsFile: string;
  readonly ruleFiles: readonly string[];
  /** The first replica's LLM simulator (every replica's, unless `separateSims`). */
  readonly sim: LlmSimulator;
  /** One per replica with `separateSims`, else the one shared simulator. */
  readonly sims: readonly LlmSimulator[];
  /** The first replica. */
  readonly serviceUrl: string;
  readonly service: ManagedProcess;
  /** Every replica of the search service (one database, one flag file, one scrape each). */
  readonly serviceUrls: readonly string[];
  readonly services: readonly ManagedProcess[];
  readonly prom: PrometheusHandle;
  /** With `daemonBackend: 'victoria-metrics'`: the backend the daemon queries. */
  readonly vm: VictoriaMetricsHandle | undefined;
  readonly webhook: RecordingWebhook;
  /** The flag file as the CLI sees it: read history, turn the flag back on as a person would. */
  readonly flags: FileFlagStore;
  daemon: DaemonProcess;
  /** Share of LLM calls that fail with HTTP 500, from now on. */
  setAiErrorRate(rate: number): void;
  /** Starts the daemon again on the same port and data folder (after a kill). */
  restartDaemon(): Promise<DaemonProcess>;
  stop(): Promise<void>;
}

export interface E2eStackOptions {
  /** Seed of the simulator's fault decisions. */
  readonly seed?: number;
  /** Contacts the service seeds (small: startup time is test time). */
  readonly contacts?: number;
  /** Log level of the service and the daemon (their output is kept for failure messages). */
  readonly logLevel?: string;
  /**
   * Each client's share of LLM calls (AI_SEARCH_CLIENT_CALL_SHARE, _WINDOW). Off by default: the
   * tests' steady traffic is many users sending from one address.
   */
  readonly clientShare?: { readonly calls: number; readonly windowSeconds: number };
  /** Requests per second per client address (`--client-rate-limit`); off by default. */
  readonly clientRateLimit?: number;
  /** Rewrites the (fast) rule files the daemon loads; Prometheus keeps loading the originals. */
  readonly daemonRules?: (ruleFiles: readonly string[], dir: string) => string[];
  /** More flags for Prometheus (e.g. `--query.timeout=2s`). */
  readonly prometheusArgs?: readonly string[];
  /** Prometheus remote-writes what it scrapes there too (the backends bench: same samples). */
  readonly prometheusRemoteWrite?: readonly string[];
  /** More flags for the daemon (e.g. `--query-timeout 500ms`). */
  readonly daemonArgs?: readonly string[];
  /** The flag's bootstrap for the service (default FLAG_ENV: on at 100% for everyone). */
  readonly flagEnv?: Readonly<Record<string, string>>;
  /** More environment for the daemon (e.g. CANARY_ADMIN_TOKEN). */
  readonly daemonEnv?: Readonly<Record<string, string>>;
  /**
   * What the daemon queries: the Prometheus (default), or a VictoriaMetrics single node scraping
   * the same targets, with `--inline-recorded` (it runs no recording rules). Prometheus runs in
   * both cases, loading the rules, as the deployment's backstop and the reference.
   */
  readonly daemonBackend?: 'prometheus' | 'victoria-metrics';
  /** Search service processes (default 1; keep ≤ 3 on a 2-core machine). */
  readonly replicas?: number;
  /** Each replica calls its own LLM simulator, so a test can fail one replica's calls only. */
  readonly separateSims?: boolean;
}

const SCRUBBED = ['ALERTMANAGER_URL', 'FLAGS_FILE'].concat(
  ['OPENAI', 'OPENROUTER', 'ANTHROPIC'].flatMap((p) => [`${p}_API_KEY`, `${p}_BASE_URL`]),
);

/**
 * `node bin/canary.js …` with `env` on top of ours, minus any real provider key (tests never call
 * a paid API). `env(1)` execs, so the pid is the canary process itself and a signal reaches it.
 */
export function launchCanary(
  args: string[],
  env: Record<string, string>,
  name: string,
  /** A command that runs the rest and execs it, e.g. `ip netns exec <ns>` (a drill's host). */
  prefix: readonly string[] = [],
): ManagedProcess {
  const envArgs = SCRUBBED.flatMap((k) => ['-u', k]);
  for (const [k, v] of Object.entries(env)) envArgs.push(`${k}=${v}`);
  const argv = [...prefix, 'env', ...envArgs, process.execPath, BIN, ...args];
  return launch(argv[0]!, argv.slice(1), name);
}

export async function waitHttp(url: string, proc: ManagedProcess, what: string): Promise<number> {
  await eventually(
    async () => {
      if (proc.exited()) throw new Error(`${what} exited:\n${tail(proc.output())}`);
      return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined;
    },
    { what, timeoutMs: 60_000, intervalMs: 50 },
  );
  return Date.now();
}

export async function startE2eStack(o: E2eStackOptions = {}): Promise<E2eStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canary-e2e-'));
  // The flag file in a folder of its own, so a drill can make that folder unwritable without
  // touching the contacts database or the daemon's state file.
  const flagsFile = path.join(dir, 'flags', 'flags.json');
  const logLevel = o.logLevel ?? 'info';
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ruleFiles = writeFastRules(
      findRuleFiles(path.resolve('rules')),
      path.join(dir, 'rules'),
      FAST,
    );
    const replicas = o.replicas ?? 1;
    const sims: LlmSimulator[] = [];
    for (let i = 0; i < (o.separateSims ? replicas : 1); i++) {
      const s = await startLlmSimulator({
        port: 0,
        seed: (o.seed ?? 7) + i,
        latency: { baseMs: 5, perOutputTokenMs: 0, jitterMs: 5 },
      });
      cleanups.push(() => s.close());
      sims.push(s);
    }
    const sim = sims[0]!;
    const webhook = await startRecordingWebhook();
    cleanups.push(() => webhook.close());

    const servicePorts: number[] = [];
    while (servicePorts.length < replicas) {
      const p = await freePort();
      if (!servicePorts.includes(p)) servicePorts.push(p);
    }
    const serviceUrls = servicePorts.map((p) => `http://127.0.0.1:${p}`);
    const serviceUrl = serviceUrls[0]!;
    const serviceEnv = {
      ...(o.flagEnv ?? FLAG_ENV),
      FLAGS_FILE: flagsFile,
      AI_SEARCH_CACHE_TTL: '0', // every AI search calls the LLM
      AI_SEARCH_RATE_LIMIT: '0',
      AI_SEARCH_CLIENT_CALL_SHARE: String(o.clientShare?.calls ?? 0),
      AI_SEARCH_CLIENT_SHARE_WINDOW: String(o.clientShare?.windowSeconds ?? 300),
      AI_SEARCH_LOG_LEVEL: 'error',
    };
    const startReplica = async (i: number): Promise<ManagedProcess> => {
      const serveArgs = ['serve', '--port', String(servicePorts[i]), '--data-dir', dir];
      serveArgs.push('--contacts', String(o.contacts ?? 2000));
      serveArgs.push('--client-rate-limit', String(o.clientRateLimit ?? 0));
      const env = { ...serviceEnv, LLM_SIM_URL: (sims[i] ?? sim).url };
      const name = replicas === 1 ? 'search-service' : `search-service-${i + 1}`;
      const proc = launchCanary(serveArgs, env, name);
      cleanups.push(() => proc.stop());
      await waitHttp(`${serviceUrls[i]}/readyz`, proc, `the search service (${name})`);
      return proc;
    };
    // The first replica seeds the database; the others open it after, together.
    const service = await startReplica(0);
    const services = [
      service,
      ...(await Promise.all(serviceUrls.slice(1).map((_, i) => startReplica(i + 1)))),
    ];

    const daemonPort = await freePort();
    const scrapeTargets = [
      { job: 'ai-search-service', targets: servicePorts.map((p) => `127.0.0.1:${p}`) },
      { job: 'canary-daemon', targets: [`127.0.0.1:${daemonPort}`] },
    ];
    const prom = await startPrometheus({
      scrapeTargets,
      ruleFiles,
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      extraArgs: o.prometheusArgs,
      remoteWrite: o.prometheusRemoteWrite,
    });
    cleanups.push(() => prom.stop());
    const vm =
      o.daemonBackend === 'victoria-metrics'
        ? await startVictoriaMetrics({ scrapeTargets, scrapeInterval: '1s' })
        : undefined;
    if (vm) cleanups.push(() => vm.stop());

    const daemonEnv = { AI_SEARCH_LOG_LEVEL: logLevel, ...o.daemonEnv };
    const backendArgs = vm
      ? ['--prometheus-url', vm.url, '--inline-recorded']
      : ['--prometheus-url', prom.url];
    const daemonArgs = ['daemon', ...backendArgs, '--interval', '1s'];
    for (const f of o.daemonRules?.(ruleFiles, dir) ?? ruleFiles) daemonArgs.push('--rules', f);
    daemonArgs.push('--port', String(daemonPort), '--host', '127.0.0.1');
    daemonArgs.push('--data-dir', dir, '--flags-file', flagsFile);
    daemonArgs.push('--webhook', `dev_team=${webhook.url}/dev`);
    daemonArgs.push('--webhook', `product_team=${webhook.url}/product`);
    daemonArgs.push(...(o.daemonArgs ?? []));
    let daemonProc: ManagedProcess | undefined;
    cleanups.push(async () => daemonProc?.stop());
    const startDaemon = async (): Promise<DaemonProcess> => {
      const proc = launchCanary(daemonArgs, daemonEnv, 'canary-daemon');
      daemonProc = proc;
      const url = `http://127.0.0.1:${daemonPort}`;
      const readyAt = await waitHttp(`${url}/healthz`, proc, 'the canary daemon');
      return { proc, url, readyAt };
    };
    const flags = createFileFlagStore({
      path: flagsFile,
      bootstrap: {
        aiSearchEnabled: true,
        rolloutPercentage: 100,
        internalUsers: true,
        betaUsers: true,
      },
      logger: createLogger({ name: 'e2e', level: 'silent' }),
    });
    const stack: E2eStack = {
      dir,
      flagsFile,
      ruleFiles,
      sim,
      sims,
      serviceUrl,
      service,
      serviceUrls,
      services,
      prom,
      vm,
      webhook,
      flags,
      daemon: await startDaemon(),
      setAiErrorRate: (rate) => {
        for (const s of sims) s.setFaults({ errorRate: rate, mode: 'error', status: 500 });
      },
      async restartDaemon() {
        if (!stack.daemon.proc.exited()) await stack.daemon.proc.kill('SIGKILL');
        stack.daemon = await startDaemon();
        return stack.daemon;
      },
      stop,
    };
    return stack;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Output of the service and the daemon, for a failure message. */
export function stackOutput(s: E2eStack): string {
  return [
    `--- canary daemon ---\n${tail(s.daemon.proc.output(), 40)}`,
    `--- search service ---\n${tail(s.service.output(), 20)}`,
  ].join('\n');
}

/** The rules' traffic guard for AI errors: at least 20 LLM calls per (scaled) 5-minute window. */
export const AI_GUARD_EXPR = 'sum(rate(gen_ai_client_operation_duration_count[5s])) >= 20 / 300';

/**
 * Waits until Prometheus has the AI error ratio as a number and the traffic clears the guard, so
 * that what follows is judged on real figures and not on "no data".
 */
export async function waitForAiTraffic(s: E2eStack): Promise<void> {
  await eventually(
    async () => {
      const [ratio] = await s.prom.query('ai_search:ai_error_ratio:rate5m');
      const guard = await s.prom.query(AI_GUARD_EXPR);
      return ratio && Number.isFinite(ratio.value) && guard.length === 1 ? true : undefined;
    },
    { what: 'AI calls above the traffic guard in Prometheus', timeoutMs: 60_000, intervalMs: 250 },
  );
}
