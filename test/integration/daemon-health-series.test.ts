// Health tells the truth, against a real Prometheus: a recorded series that is empty by design (its
// recording rule runs in Prometheus, like the cost baseline's first day) leaves the daemon "ok"; a
// recorded series whose rule Prometheus does not have makes it "degraded".
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startDaemon, type RunningDaemon } from '../../src/canary/main.js';
import { createLogger } from '../../src/shared/logger.js';
import { startPrometheus, type PrometheusHandle } from '../harness/index.js';

const GUARDED = path.resolve('test/integration/fixtures/guarded-series-rules.yml');
const UNLOADED = path.resolve('test/integration/fixtures/unloaded-series-rules.yml');
const logger = createLogger({
  name: 'health-series-it',
  level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent',
});

let prom: PrometheusHandle;
let dir: string;
let daemon: RunningDaemon | undefined;

beforeAll(async () => {
  prom = await startPrometheus({ ruleFiles: [GUARDED], evaluationInterval: '1s' });
  dir = await mkdtemp(path.join(os.tmpdir(), 'canary-health-series-it-'));
});
afterEach(async () => {
  await daemon?.close();
  daemon = undefined;
});
afterAll(async () => {
  await prom?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function health(ruleFiles: string[], name: string) {
  daemon = await startDaemon({
    ruleFiles,
    prometheusUrl: prom.url,
    dataDir: path.join(dir, name),
    flagsFile: path.join(dir, name, 'flags.json'),
    port: 0,
    host: '127.0.0.1',
    intervalMs: 1000,
    watchRuleFiles: false,
    logger,
  });
  return (await (await fetch(`${daemon.url}/healthz`)).json()) as Record<string, unknown>;
}

it('an empty recorded series whose rule Prometheus runs is expected: status ok', async () => {
  expect(await health([GUARDED], 'guarded')).toMatchObject({
    status: 'ok',
    missingRecordedSeries: [],
    awaitingRecordedSeries: ['test:guarded_baseline:1h'],
  });
});

it('a recorded series whose rule Prometheus lacks is a fault: status degraded', async () => {
  expect(await health([GUARDED, UNLOADED], 'unloaded')).toMatchObject({
    status: 'degraded',
    missingRecordedSeries: ['test:not_loaded_in_prometheus:5m'],
    awaitingRecordedSeries: ['test:guarded_baseline:1h'],
  });
});
