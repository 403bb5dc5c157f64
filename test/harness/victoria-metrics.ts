// A real VictoriaMetrics single node (Debian's `victoria-metrics`) for tests and the backends
// bench: its own free port and data folder, scraping the given targets itself
// (`-promscrape.config`), answering the Prometheus query API. Two flags make it answer like a
// Prometheus in a test: `-search.latencyOffset=0s` (by default it hides the newest 30 s, waiting
// for late samples, which would delay every decision by 30 s) and `-search.disableCache`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { PromSample, ScrapeTarget } from './prometheus.js';
import { freePort, launch, waitUntilReady, which, type ManagedProcess } from './process.js';

export interface VictoriaMetricsOptions {
  readonly scrapeTargets: readonly ScrapeTarget[];
  readonly scrapeInterval?: string;
}

export interface VictoriaMetricsHandle {
  readonly url: string;
  readonly dir: string;
  /** Instant query; throws with VictoriaMetrics' own error text on failure. */
  query(expr: string, timeSeconds?: number): Promise<PromSample[]>;
  stop(): Promise<void>;
  output(): string;
}

export function victoriaMetricsScrapeConfig(o: VictoriaMetricsOptions): string {
  return stringify({
    global: { scrape_interval: o.scrapeInterval ?? '1s' },
    scrape_configs: o.scrapeTargets.map((t) => ({
      job_name: t.job,
      ...(t.metricsPath ? { metrics_path: t.metricsPath } : {}),
      ...(t.scrapeInterval ? { scrape_interval: t.scrapeInterval } : {}),
      static_configs: [{ targets: [...t.targets] }],
    })),
  });
}

export async function startVictoriaMetrics(
  o: VictoriaMetricsOptions,
): Promise<VictoriaMetricsHandle> {
  const bin = which('victoria-metrics');
  if (!bin)
    throw new Error(
      'victoria-metrics is not installed: sudo apt-get install -y victoria-metrics (scripts/ensure-tools.sh does it as root)',
    );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canary-vm-'));
  const configFile = path.join(dir, 'scrape.yml');
  writeFileSync(configFile, victoriaMetricsScrapeConfig(o));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc: ManagedProcess | undefined;
  try {
    proc = launch(
      bin,
      [
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${path.join(dir, 'data')}`,
        '-retentionPeriod=1d',
        `-promscrape.config=${configFile}`,
        '-search.latencyOffset=0s',
        '-search.disableCache',
        '-loggerLevel=ERROR',
      ],
      'victoria-metrics',
    );
    await waitUntilReady(`${url}/health`, proc, 'VictoriaMetrics');
  } catch (err) {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    dir,
    async query(expr, timeSeconds) {
      const params = new URLSearchParams({ query: expr });
      if (timeSeconds !== undefined) params.set('time', String(timeSeconds));
      const res = await fetch(`${url}/api/v1/query?${params}`, {
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data: {
          resultType: string;
          result: { metric: Record<string, string>; value: [number, string] }[];
        };
      };
      if (body.status !== 'success')
        throw new Error(`VictoriaMetrics ${expr}: ${body.error ?? res.status}`);
      return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async stop() {
      await proc?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    output: () => proc?.output() ?? '',
  };
}
