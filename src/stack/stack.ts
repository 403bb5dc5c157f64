// The local stack (`canary start`): LLM simulator, search service (one process per replica),
// Alertmanager (when installed), Prometheus, the canary daemon and synthetic traffic, each a child
// process in its own process group, stopped together. Nothing here is needed in production; it is the laptop version of
// docker-compose.yml, without Docker.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertNoLeftovers } from './leftovers.js';
import { localPrometheusConfig } from './prometheus-config.js';
import { ChildGroup, logTail, type ChildSpec, type RunningChild } from './processes.js';
import { assertPortsFree, type StackPorts } from './ports.js';
import { replicaName, replicaPorts } from './replicas.js';
import { findRuleFiles, writeFastRules } from './rule-files.js';
import type { StackTools } from './tools.js';
import { startTraffic, type TrafficGenerator } from './traffic.js';
import { waitForHttp } from './wait.js';

/** Fast mode: minutes become seconds; ranges keep at least 4 scrapes so rate() has data. */
export const FAST = Object.freeze({ factor: 60, minRangeMs: 4000, interval: '1s' });

export interface StackOptions {
  readonly rootDir: string;
  readonly dataDir: string;
  readonly fast: boolean;
  readonly traffic: boolean;
  readonly ports: StackPorts;
  /** Search service processes (1..MAX_REPLICAS): one database, one flag store, one scrape each. */
  readonly replicas: number;
  readonly tools: StackTools;
  /** Extra environment for every child (the parent's environment is inherited). */
  readonly env?: Readonly<Record<string, string>>;
  readonly say: (line: string) => void;
}

export interface StackUrls {
  readonly service: string;
  readonly daemon: string;
  readonly llmSim: string;
  readonly prometheus: string;
  readonly alertmanager: string | undefined;
}

export interface RunningStack {
  /** `urls.service` is the first replica. */
  readonly urls: StackUrls;
  /** Every replica of the search service, the first one included. */
  readonly replicaUrls: readonly string[];
  readonly pids: Readonly<Record<string, number>>;
  readonly logDir: string;
  /** Rejects when a child dies on its own; the stack is then already stopped. */
  readonly failed: Promise<never>;
  stop(): Promise<void>;
}

const url = (port: number) => `http://127.0.0.1:${port}`;

/** Relative to the working directory when inside it, else absolute. */
export function shortPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

function urlsOf(ports: StackPorts, withAlertmanager: boolean): StackUrls {
  return {
    service: url(ports.service),
    daemon: url(ports.daemon),
    llmSim: url(ports.llmSim),
    prometheus: url(ports.prometheus),
    alertmanager: withAlertmanager ? url(ports.alertmanager) : undefined,
  };
}

/** The service's flag bootstrap for a demo: AI search on for a share of every segment. */
const DEMO_FLAG_ENV: Readonly<Record<string, string>> = {
  NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
  NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE: '50',
  AI_SEARCH_INTERNAL_USERS: 'true',
  AI_SEARCH_BETA_USERS: 'true',
};

/**
 * The synthetic traffic is many users sending from one address (127.0.0.1): a per-address share of
 * LLM calls would throttle all of them as one client, so the demo turns the share off unless set.
 */
const DEMO_SERVICE_ENV: Readonly<Record<string, string>> = {
  ...DEMO_FLAG_ENV,
  AI_SEARCH_CLIENT_CALL_SHARE: '0',
};

/**
 * Every child's environment: the parent's is inherited (so FLAGS_FILE, a flag store URL or any
 * other setting reaches every replica alike), the demo defaults unless set, and the stack's URLs.
 */
function childEnv(opts: StackOptions, urls: StackUrls): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(DEMO_SERVICE_ENV)) env[k] = process.env[k] ?? v;
  return {
    ...env,
    // Each replica enforces its part of a per-client share (src/shared/config.ts).
    AI_SEARCH_REPLICAS: String(opts.replicas),
    // Prometheus scrapes each replica's own port here; an inherited metrics port would be the
    // same one for every replica, and the second could not listen. Empty is unset.
    SEARCH_METRICS_PORT: '',
    DATA_DIR: opts.dataDir,
    LLM_SIM_URL: urls.llmSim,
    SEARCH_URL: urls.service,
    PROMETHEUS_URL: urls.prometheus,
    ...(urls.alertmanager ? { ALERTMANAGER_URL: urls.alertmanager } : {}),
    ...opts.env,
  };
}

function ruleFilesFor(opts: StackOptions): string[] {
  const sources = findRuleFiles(path.join(opts.rootDir, 'rules'));
  if (!opts.fast) return sources;
  return writeFastRules(sources, path.join(opts.dataDir, 'rules-fast'), FAST);
}

function prometheusSpec(
  opts: StackOptions,
  ruleFiles: string[],
  withAm: boolean,
  servicePorts: readonly number[],
): ChildSpec {
  const dir = path.join(opts.dataDir, 'prometheus');
  mkdirSync(dir, { recursive: true });
  const config = localPrometheusConfig(
    readFileSync(path.join(opts.rootDir, 'prometheus.yml'), 'utf8'),
    {
      jobPorts: {
        'ai-search-service': servicePorts,
        'canary-daemon': opts.ports.daemon,
        prometheus: opts.ports.prometheus,
      },
      ruleFiles,
      alertmanagerPort: withAm ? opts.ports.alertmanager : undefined,
      interval: opts.fast ? FAST.interval : undefined,
    },
  );
  const configFile = path.join(dir, 'prometheus.yml');
  writeFileSync(configFile, config);
  return {
    name: 'prometheus',
    command: opts.tools.prometheus,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${opts.ports.prometheus}`,
      '--web.enable-lifecycle',
      '--storage.tsdb.retention.time=15d',
    ],
    cwd: dir,
  };
}

function alertmanagerSpec(opts: StackOptions, binary: string): ChildSpec {
  const dir = path.join(opts.dataDir, 'alertmanager');
  mkdirSync(dir, { recursive: true });
  return {
    name: 'alertmanager',
    command: binary,
    args: [
      `--config.file=${path.join(opts.rootDir, 'alertmanager.yml')}`,
      `--storage.path=${dir}`,
      `--web.listen-address=127.0.0.1:${opts.ports.alertmanager}`,
      '--cluster.listen-address=', // a single local instance: no gossip port
    ],
    cwd: dir,
  };
}

function canarySpec(
  opts: StackOptions,
  name: string,
  args: string[],
  env: Record<string, string>,
): ChildSpec {
  return {
    name,
    command: process.execPath,
    args: [path.join(opts.rootDir, 'bin', 'canary.js'), ...args],
    env,
    cwd: opts.rootDir,
  };
}

function daemonArgs(opts: StackOptions, ruleFiles: string[], urls: StackUrls): string[] {
  const args = ['daemon', '--host', '127.0.0.1', '--port', String(opts.ports.daemon)];
  args.push('--data-dir', opts.dataDir);
  args.push('--prometheus-url', urls.prometheus);
  for (const f of ruleFiles) args.push('--rules', f);
  if (opts.fast) args.push('--interval', FAST.interval);
  if (urls.alertmanager) args.push('--alertmanager-url', urls.alertmanager);
  // The guide's plan, ready for `npm run rollout:start` (nothing runs until someone starts it).
  const plan = path.join(opts.rootDir, 'rollouts', 'ai-search.yml');
  if (existsSync(plan)) args.push('--rollout-plan', plan);
  return args;
}

export async function startStack(opts: StackOptions): Promise<RunningStack> {
  assertNoLeftovers(opts.dataDir);
  const withAm = opts.tools.alertmanager !== undefined;
  const p = opts.ports;
  const others = [p.daemon, p.llmSim, p.prometheus, ...(withAm ? [p.alertmanager] : [])];
  const servicePorts = await replicaPorts(p.service, opts.replicas, others);
  await assertPortsFree({
    'search service, --service-port': p.service,
    ...Object.fromEntries(
      servicePorts.slice(1).map((port, i) => [`search service replica ${i + 2}`, port]),
    ),
    'canary daemon, --daemon-port': p.daemon,
    'LLM simulator, --sim-port': p.llmSim,
    'Prometheus, --prometheus-port': p.prometheus,
    ...(withAm ? { 'Alertmanager, --alertmanager-port': p.alertmanager } : {}),
  });
  const urls = urlsOf(opts.ports, withAm);
  const replicaUrls = servicePorts.map(url);
  const logDir = path.join(opts.dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const ruleFiles = ruleFilesFor(opts);
  const env = childEnv(opts, urls);

  let fail: (e: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  let traffic: TrafficGenerator | undefined;
  let stopping: Promise<void> | undefined;
  const group = new ChildGroup(logDir, (child, code) => {
    const why = new Error(
      `${child.name} exited unexpectedly (${code}); the stack was stopped. Its log (${child.logFile}):\n${logTail(child.logFile)}`,
    );
    void stop().then(() => fail(why));
  });
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await traffic?.stop();
      await group.stopAll();
      rmSync(path.join(opts.dataDir, 'stack.json'), { force: true });
    })());
  const up = async (spec: ChildSpec, readyUrl: string): Promise<RunningChild> => {
    const child = group.start(spec);
    opts.say(`starting ${spec.name} (pid ${child.pid}, log ${shortPath(child.logFile)})`);
    await waitForHttp(readyUrl, child);
    return child;
  };

  try {
    await up(
      canarySpec(opts, 'llm-sim', ['llm-sim', '--port', String(opts.ports.llmSim)], env),
      `${urls.llmSim}/__control/faults`,
    );
    // The first replica migrates and seeds the database alone; the others then only open it
    // (the store would also serialize concurrent starts, but a seeding race costs start-up time).
    const serve = (i: number) =>
      canarySpec(
        opts,
        replicaName(i + 1, servicePorts.length),
        ['serve', '--port', String(servicePorts[i]), '--data-dir', opts.dataDir],
        env,
      );
    await up(serve(0), `${replicaUrls[0]}/healthz`);
    await Promise.all(replicaUrls.slice(1).map((u, i) => up(serve(i + 1), `${u}/healthz`)));
    if (withAm && opts.tools.alertmanager) {
      await up(alertmanagerSpec(opts, opts.tools.alertmanager), `${urls.alertmanager}/-/ready`);
    }
    await up(prometheusSpec(opts, ruleFiles, withAm, servicePorts), `${urls.prometheus}/-/ready`);
    await up(
      canarySpec(opts, 'daemon', daemonArgs(opts, ruleFiles, urls), env),
      `${urls.daemon}/healthz`,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  if (opts.traffic) {
    traffic = startTraffic({
      serviceUrls: replicaUrls,
      requestsPerSecond: 4,
      seed: Date.now() % 1_000_000,
      maxInFlight: 20,
      userCount: 1000,
      feedbackShare: 0.3,
    });
  }
  const pids = group.pids;
  writeFileSync(
    path.join(opts.dataDir, 'stack.json'),
    JSON.stringify({ pids, urls, replicaUrls, fast: opts.fast }, null, 2),
  );
  return { urls, replicaUrls, pids, logDir, failed, stop };
}
