// A real Prometheus for integration tests: its own free port, temporary config and data folder,
// started and awaited here, stopped (and its folder removed) by `stop()`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { chooseBackend, startTool, type Backend } from './backend.js';
import { freePort, waitUntilReady, which, type ManagedProcess } from './process.js';

export interface ScrapeTarget {
  readonly job: string;
  /** host:port entries. */
  readonly targets: readonly string[];
  readonly metricsPath?: string;
  readonly scrapeInterval?: string;
}

export interface PrometheusOptions {
  readonly scrapeTargets?: readonly ScrapeTarget[];
  /** Absolute paths of rule files Prometheus loads. */
  readonly ruleFiles?: readonly string[];
  readonly scrapeInterval?: string;
  readonly evaluationInterval?: string;
  /** global.external_labels: added by Prometheus to every alert it sends. */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /** host:port of Alertmanagers to send alerts to. */
  readonly alertmanagers?: readonly string[];
  /** remote_write URLs (e.g. VictoriaMetrics' /api/v1/write), sent within a second. */
  readonly remoteWrite?: readonly string[];
  /** A complete prometheus.yml instead of the one built from the options above. */
  readonly configYaml?: string;
  readonly extraArgs?: readonly string[];
  /**
   * History in the OpenMetrics text format (ending in `# EOF`), written into the TSDB before
   * Prometheus starts with `promtool tsdb create-blocks-from openmetrics`: deterministic data in
   * the past. Keep it within the last day (retention) and a few minutes before now.
   */
  readonly backfill?: string;
  /** The address it listens on and its URL names; 127.0.0.1 by default (a drill's own address). */
  readonly host?: string;
}

export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

export interface PromAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: 'pending' | 'firing';
  readonly activeAt: string;
  readonly value: string;
}

export interface PrometheusHandle {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly configFile: string;
  /** Instant query; throws with Prometheus's own error text on failure. */
  query(expr: string, timeSeconds?: number): Promise<PromSample[]>;
  /** Prometheus's view of its alerting rules (`/api/v1/alerts`). */
  alerts(): Promise<PromAlert[]>;
  /** Rewrites the config from new options and reloads it. */
  reconfigure(options: PrometheusOptions): Promise<void>;
  /** Stops it but keeps its folder, so `start()` brings the same Prometheus back. */
  pause(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  stop(): Promise<void>;
  output(): string;
}

export function prometheusConfig(options: PrometheusOptions): string {
  if (options.configYaml !== undefined) return options.configYaml;
  const config: Record<string, unknown> = {
    global: {
      scrape_interval: options.scrapeInterval ?? '1s',
      evaluation_interval: options.evaluationInterval ?? '1s',
      ...(options.externalLabels ? { external_labels: { ...options.externalLabels } } : {}),
    },
    scrape_configs: (options.scrapeTargets ?? []).map((t) => ({
      job_name: t.job,
      ...(t.metricsPath ? { metrics_path: t.metricsPath } : {}),
      ...(t.scrapeInterval ? { scrape_interval: t.scrapeInterval } : {}),
      static_configs: [{ targets: [...t.targets] }],
    })),
  };
  if (options.ruleFiles?.length) config.rule_files = [...options.ruleFiles];
  if (options.remoteWrite?.length) {
    config.remote_write = options.remoteWrite.map((url) => ({
      url,
      queue_config: { batch_send_deadline: '1s' },
    }));
  }
  if (options.alertmanagers?.length) {
    config.alerting = {
      alertmanagers: [{ static_configs: [{ targets: [...options.alertmanagers] }] }],
    };
  }
  return stringify(config);
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusHandle> {
  const backend: Backend = chooseBackend('prometheus');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canary-prom-'));
  const configFile = path.join(dir, 'prometheus.yml');
  writeFileSync(configFile, prometheusConfig(options));
  const port = await freePort();
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host}:${port}`;
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=${host}:${port}`,
    '--web.enable-lifecycle',
    '--storage.tsdb.retention.time=1d',
    '--log.level=warn',
    ...(options.extraArgs ?? []),
  ];
  // Rule files referenced by path must be visible inside a container too.
  const dirs = [dir, ...new Set((options.ruleFiles ?? []).map((f) => path.dirname(f)))];

  if (options.backfill !== undefined) {
    try {
      backfill(options.backfill, dir);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  let proc: ManagedProcess | undefined;
  const start = async () => {
    proc = startTool(backend, args, dirs, 'prometheus');
    await waitUntilReady(`${url}/-/ready`, proc, 'Prometheus');
  };
  try {
    await start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const api = async <T>(pathAndQuery: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${url}${pathAndQuery}`, {
      ...init,
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success')
      throw new Error(`Prometheus ${pathAndQuery}: ${body.error ?? res.status}`);
    return body.data;
  };

  return {
    url,
    port,
    dir,
    configFile,
    async query(expr, timeSeconds) {
      const params = new URLSearchParams({ query: expr });
      if (timeSeconds !== undefined) params.set('time', String(timeSeconds));
      const data = await api<{
        resultType: string;
        result: { metric: Record<string, string>; value: [number, string] }[];
      }>(`/api/v1/query?${params}`);
      if (data.resultType !== 'vector')
        throw new Error(`expected a vector for ${expr}, got ${data.resultType}`);
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async alerts() {
      return (await api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts;
    },
    async reconfigure(next) {
      writeFileSync(configFile, prometheusConfig(next));
      const res = await fetch(`${url}/-/reload`, { method: 'POST' });
      if (!res.ok)
        throw new Error(`Prometheus reload failed: HTTP ${res.status} ${await res.text()}`);
    },
    async pause() {
      await proc?.stop();
    },
    start,
    async stop() {
      await proc?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    output: () => proc?.output() ?? '',
  };
}

function backfill(openMetrics: string, dir: string): void {
  const promtool = which('promtool');
  if (!promtool)
    throw new Error(
      'promtool is not installed (it comes with the Debian package prometheus): sudo apt-get install -y prometheus',
    );
  const input = path.join(dir, 'history.om');
  writeFileSync(input, openMetrics);
  try {
    execFileSync(
      promtool,
      ['tsdb', 'create-blocks-from', 'openmetrics', input, path.join(dir, 'data')],
      {
        stdio: 'pipe',
        timeout: 120_000,
      },
    );
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(
      `promtool could not backfill the history: ${e.stderr?.toString() || e.message}`,
      { cause: err },
    );
  }
}
