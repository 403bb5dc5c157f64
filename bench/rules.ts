// npm run bench:rules — the daemon's evaluation time per interval for 100 and 1,000 alerting rules
// on a real Prometheus, beside Prometheus's own evaluation of the same rule file
// (prometheus_rule_group_last_duration_seconds), as a ratio, plus the daemon's memory.
// Target: 1,000 rules evaluated within 1 s per interval (queries run with bounded concurrency).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from '../src/canary/main.js';
import {
  createPrometheusClient,
  type PrometheusClient,
} from '../src/canary/prometheus/prometheus-client.js';
import { createLogger } from '../src/shared/logger.js';
import { eventually, startPrometheus } from '../test/harness/index.js';
import { startMetricsSource } from '../test/fakes/metrics-source.js';

// The last row turns batching off: one HTTP query per expression, the baseline batching beats.
const RUNS: { rules: number; batchSize: number }[] = [
  { rules: 100, batchSize: 50 },
  { rules: 1000, batchSize: 50 },
  { rules: 1000, batchSize: 1 },
];
const INTERVAL_S = 2;
const ROUNDS = 5;
const SERIES = 100;

function ruleFile(n: number): string {
  const rules = Array.from({ length: n }, (_, k) =>
    [
      `      - alert: bench_rule_${k}`,
      // Every left side distinct (series × window), so no two rules share a query.
      `        expr: avg_over_time(bench_metric{i="${k % SERIES}"}[${60 + Math.floor(k / SERIES)}s]) > ${k % 2 === 0 ? 0.5 : 2}`,
      `        for: 10s`,
      `        labels:`,
      `          severity: warning`,
    ].join('\n'),
  );
  return `groups:\n  - name: bench\n    interval: ${INTERVAL_S}s\n    rules:\n${rules.join('\n')}\n`;
}

async function scrapeMetric(url: string, name: string): Promise<number[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
}

async function benchSize(n: number, batchSize: number, dir: string): Promise<string> {
  const source = await startMetricsSource();
  source.setMany('bench_metric', SERIES, 1);
  const file = path.join(dir, `rules-${n}.yml`);
  await writeFile(file, ruleFile(n));
  const prom = await startPrometheus({
    scrapeTargets: [{ job: 'bench', targets: [source.target] }],
    ruleFiles: [file],
    scrapeInterval: '1s',
    evaluationInterval: `${INTERVAL_S}s`,
  });
  const logger = createLogger({ name: 'bench', level: 'error' });
  const heapBefore = process.memoryUsage();
  try {
    await eventually(
      async () => ((await prom.query('bench_metric')).length === SERIES ? true : undefined),
      { what: 'scrape' },
    );
    // The real client, counting the expressions the daemon asks Prometheus to evaluate.
    const client = createPrometheusClient({ url: prom.url, timeoutMs: 10_000, batchSize });
    let asked = 0;
    const counting: PrometheusClient = {
      ...client,
      queryMany: (...args: Parameters<PrometheusClient['queryMany']>) => {
        asked += args[0].length;
        return client.queryMany(...args);
      },
    };
    const daemon = await startDaemon({
      prometheus: counting,
      ruleFiles: [file],
      prometheusUrl: prom.url,
      dataDir: path.join(dir, `data-${n}-${batchSize}`),
      flagsFile: path.join(dir, 'flags.json'),
      port: 0,
      host: '127.0.0.1',
      logger,
      watchRuleFiles: false,
    });
    try {
      const promDurations: number[] = [];
      // Skip the first round (warm-up), then sample once per interval.
      await new Promise((r) => setTimeout(r, (INTERVAL_S + 1) * 1000));
      const [sum0 = 0] = await scrapeMetric(
        daemon.url,
        'canary_rule_evaluation_duration_seconds_sum',
      );
      const [count0 = 0] = await scrapeMetric(
        daemon.url,
        'canary_rule_evaluation_duration_seconds_count',
      );
      const asked0 = asked;
      const failed0 = (
        await scrapeMetric(daemon.url, 'canary_rule_evaluation_failures_total')
      ).reduce((a, b) => a + b, 0);
      for (let i = 0; i < ROUNDS; i++) {
        await new Promise((r) => setTimeout(r, INTERVAL_S * 1000));
        // Prometheus does not scrape itself here: read its own /metrics.
        const [p] = await scrapeMetric(prom.url, 'prometheus_rule_group_last_duration_seconds');
        if (p !== undefined) promDurations.push(p);
      }
      const [sum1 = 0] = await scrapeMetric(
        daemon.url,
        'canary_rule_evaluation_duration_seconds_sum',
      );
      const [count1 = 0] = await scrapeMetric(
        daemon.url,
        'canary_rule_evaluation_duration_seconds_count',
      );
      const [missed = 0] = await scrapeMetric(daemon.url, 'canary_missed_evaluations_total');
      const evaluations = Math.max(1, count1 - count0);
      const perInterval = (asked - asked0) / evaluations;
      const failed1 = (
        await scrapeMetric(daemon.url, 'canary_rule_evaluation_failures_total')
      ).reduce((a, b) => a + b, 0);
      const failedPerInterval = (failed1 - failed0) / evaluations;
      const daemonAvg = (sum1 - sum0) / Math.max(1, count1 - count0);
      const promAvg = promDurations.reduce((a, b) => a + b, 0) / Math.max(1, promDurations.length);
      const mem = process.memoryUsage();
      const mb = (b: number) => (b / 1024 / 1024).toFixed(0);
      return [
        `${String(n).padStart(5)} rules${batchSize === 1 ? ', unbatched' : ''}: daemon ${(daemonAvg * 1000).toFixed(0)} ms/interval (${count1 - count0} evaluations, missed ${missed}, ${perInterval.toFixed(0)} expressions and ${failedPerInterval.toFixed(0)} failed rules each)`,
        `Prometheus ${(promAvg * 1000).toFixed(0)} ms/interval`,
        `ratio ${(daemonAvg / promAvg).toFixed(1)}×`,
        batchSize === 1
          ? 'baseline (batching off)'
          : `target ≤ 1000 ms: ${daemonAvg <= 1 ? 'met' : 'MISSED'}`,
        `RSS ${mb(mem.rss)} MB, heap ${mb(mem.heapUsed)} MB (+${mb(mem.heapUsed - heapBefore.heapUsed)} MB)`,
      ].join(' · ');
    } finally {
      await daemon.close();
      client.close();
    }
  } finally {
    await prom.stop();
    await source.close();
  }
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'canary-bench-'));
try {
  console.log(
    `bench:rules — ${INTERVAL_S}s interval, ${ROUNDS} sampled intervals, batched queries (50 expressions each, 8 in flight), one expression evaluated per rule (its threshold's left side; the comparison applied by the daemon, which also shows that value)`,
  );
  for (const r of RUNS) console.log(await benchSize(r.rules, r.batchSize, dir));
} finally {
  await rm(dir, { recursive: true, force: true });
}
