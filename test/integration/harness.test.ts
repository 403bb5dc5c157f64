// The harness itself: a real Prometheus scrapes a server the test controls and evaluates a rule;
// a real Alertmanager accepts an alert; both are gone after stop().
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  startAlertmanager,
  startPrometheus,
  type AlertmanagerHandle,
  type PrometheusHandle,
} from '../harness/index.js';

let requests = 0;
let server: Server;
let target = '';
let prom: PrometheusHandle | undefined;
let am: AlertmanagerHandle | undefined;

beforeAll(async () => {
  server = createServer((_req, res) => {
    requests += 1;
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(`# TYPE harness_requests_total counter\nharness_requests_total ${requests}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  target = typeof addr === 'object' && addr ? `127.0.0.1:${addr.port}` : '';

  const rulesDir = mkdtempSync(path.join(os.tmpdir(), 'harness-rules-'));
  const ruleFile = path.join(rulesDir, 'rules.yml');
  writeFileSync(
    ruleFile,
    [
      'groups:',
      '  - name: harness',
      '    interval: 1s',
      '    rules:',
      '      - alert: ScrapedAtLeastTwice',
      '        expr: harness_requests_total >= 2',
    ].join('\n'),
  );
  prom = await startPrometheus({
    scrapeTargets: [{ job: 'probe', targets: [target] }],
    ruleFiles: [ruleFile],
  });
  am = await startAlertmanager();
});

afterAll(async () => {
  await prom?.stop();
  await am?.stop();
  await new Promise((r) => server.close(r));
});

describe('test harness', () => {
  it('starts a Prometheus that scrapes the target and evaluates the rule file', async () => {
    const value = await eventually(
      async () => (await prom!.query('harness_requests_total'))[0]?.value,
      { what: 'the first scrape' },
    );
    expect(value).toBeGreaterThanOrEqual(1);
    const alert = await eventually(
      async () => (await prom!.alerts()).find((a) => a.labels.alertname === 'ScrapedAtLeastTwice'),
      { what: 'the alert to be active' },
    );
    expect(['pending', 'firing']).toContain(alert.state);
  });

  it('starts an Alertmanager that accepts alerts on its v2 API', async () => {
    const res = await fetch(`${am!.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { labels: { alertname: 'HarnessProbe' }, annotations: { summary: 'x' } },
      ]),
    });
    expect(res.status).toBe(200);
    const alerts = await eventually(
      async () => {
        const list = await am!.alerts();
        return list.some((a) => a.labels.alertname === 'HarnessProbe') ? list : undefined;
      },
      { what: 'the alert in Alertmanager' },
    );
    expect(alerts[0]?.status.state).toBe('active');
  });

  it('pauses and restarts Prometheus on the same port and data, and removes its folder on stop', async () => {
    const p = await startPrometheus();
    await p.pause();
    await expect(fetch(`${p.url}/-/ready`)).rejects.toThrow();
    await p.start();
    expect((await fetch(`${p.url}/-/ready`)).ok).toBe(true);
    await p.stop();
    expect(existsSync(p.dir)).toBe(false);
  });
});
