// The backend the daemon's process-level tests share: a metrics source the test steers, with the
// fixture rules' two ratios at 0, scraped every second by a real Prometheus that loads the same
// fixture rules (test/integration/fixtures/daemon-rules.yml) the daemon under test loads.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPrometheus, type PrometheusHandle } from '../../harness/index.js';
import { startMetricsSource, type MetricsSource } from '../../fakes/metrics-source.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const DAEMON_RULES = path.join(ROOT, 'test/integration/fixtures/daemon-rules.yml');

export interface DaemonBackend {
  readonly source: MetricsSource;
  readonly prom: PrometheusHandle;
  close(): Promise<void>;
}

export async function startDaemonBackend(): Promise<DaemonBackend> {
  const source = await startMetricsSource();
  source.set('test_ai_error_ratio', 0);
  source.set('test_api_error_ratio', 0);
  try {
    const prom = await startPrometheus({
      scrapeTargets: [{ job: 'source', targets: [source.target] }],
      ruleFiles: [DAEMON_RULES],
    });
    return {
      source,
      prom,
      async close() {
        await prom.stop();
        await source.close();
      },
    };
  } catch (err) {
    await source.close();
    throw err;
  }
}
