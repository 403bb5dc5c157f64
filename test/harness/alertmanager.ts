// A real Alertmanager for integration tests, on a free port with clustering off (so it binds
// nothing else), a temporary config and storage folder, stopped and removed by `stop()`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { chooseBackend, startTool } from './backend.js';
import { freePort, waitUntilReady } from './process.js';

export interface AlertmanagerOptions {
  /** A complete alertmanager.yml; by default one receiver that drops everything, short waits. */
  readonly configYaml?: string;
  /** Where the default route sends notifications (e.g. a recording webhook server in the test). */
  readonly webhookUrl?: string;
}

export interface AmAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly status: { state: string };
}

export interface AlertmanagerHandle {
  readonly url: string;
  readonly port: number;
  /** Alerts Alertmanager currently holds (`/api/v2/alerts`). */
  alerts(): Promise<AmAlert[]>;
  stop(): Promise<void>;
  output(): string;
}

export function alertmanagerConfig(options: AlertmanagerOptions): string {
  if (options.configYaml !== undefined) return options.configYaml;
  const receiver = options.webhookUrl
    ? { name: 'test', webhook_configs: [{ url: options.webhookUrl, send_resolved: true }] }
    : { name: 'test' };
  return stringify({
    route: {
      receiver: 'test',
      group_by: ['alertname'],
      group_wait: '1s',
      group_interval: '1s',
      repeat_interval: '1h',
    },
    receivers: [receiver],
  });
}

export async function startAlertmanager(
  options: AlertmanagerOptions = {},
): Promise<AlertmanagerHandle> {
  const backend = chooseBackend('alertmanager');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canary-am-'));
  const configFile = path.join(dir, 'alertmanager.yml');
  writeFileSync(configFile, alertmanagerConfig(options));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startTool(
    backend,
    [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    [dir],
    'alertmanager',
  );
  try {
    await waitUntilReady(`${url}/-/ready`, proc, 'Alertmanager');
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    port,
    async alerts() {
      const res = await fetch(`${url}/api/v2/alerts`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`Alertmanager /api/v2/alerts: HTTP ${res.status}`);
      return (await res.json()) as AmAlert[];
    },
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    output: () => proc.output(),
  };
}
