// The guide's operational commands, run as a user runs them (`node bin/canary.js …`), against a
// real search service (with the LLM simulator) and a real Prometheus loading the real rules.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildGroup } from '../../src/stack/processes.js';
import { findRuleFiles } from '../../src/stack/rule-files.js';
import { waitForHttp } from '../../src/stack/wait.js';
import { freePort, startPrometheus, type PrometheusHandle } from '../harness/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-ops-'));
const group = new ChildGroup(dir, () => {});
let service = '';
let simUrl = '';
let prom: PrometheusHandle;

let nobody = ''; // a free port nothing listens on: connections are refused

/**
 * A GET on a connection of its own. The global fetch would reuse the socket `waitForHttp` left
 * idle in beforeAll; the service closes idle sockets after its keep-alive timeout (72 s), and a
 * request sent as it does fails with "other side closed", depending on how long the tests before
 * took.
 */
function getOnce(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

function canary(...args: string[]): {
  code: number | null;
  out: string;
  stdout: string;
  stderr: string;
} {
  const r = spawnSync(process.execPath, ['bin/canary.js', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}`, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  const [simPort, servicePort] = [await freePort(), await freePort()];
  nobody = `http://127.0.0.1:${await freePort()}`;
  service = `http://127.0.0.1:${servicePort}`;
  simUrl = `http://127.0.0.1:${simPort}`;
  const env = {
    LLM_SIM_URL: `http://127.0.0.1:${simPort}`,
    NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
    NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE: '50',
  };
  const bin = path.resolve('bin/canary.js');
  const sim = group.start({
    name: 'llm-sim',
    command: process.execPath,
    args: [bin, 'llm-sim', '--port', String(simPort)],
    env,
    cwd: dir,
  });
  await waitForHttp(`${env.LLM_SIM_URL}/__control/faults`, sim);
  const serve = ['serve', '--port', String(servicePort), '--data-dir', dir];
  const svc = group.start({
    name: 'service',
    command: process.execPath,
    args: [bin, ...serve],
    env,
    cwd: dir,
  });
  await waitForHttp(`${service}/healthz`, svc);
  prom = await startPrometheus({
    scrapeTargets: [{ job: 'ai-search-service', targets: [`127.0.0.1:${servicePort}`] }],
    ruleFiles: findRuleFiles(path.resolve('rules')),
  });
});

afterAll(async () => {
  await prom?.stop();
  await group.stopAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('operational commands against a running service', () => {
  it.each(['health-check', 'smoke', 'regression'])('%s passes', (cmd) => {
    const r = canary(cmd, '--url', service);
    expect(r.out).toMatch(/all \d+ checks passed/);
    expect(r.code).toBe(0);
  });

  const aiServices = (llmSimUrl: string) =>
    spawnSync(process.execPath, ['bin/canary.js', 'ai-services'], {
      encoding: 'utf8',
      env: { ...process.env, LLM_SIM_URL: llmSimUrl },
    });

  it('ai-services reaches every provider of the chain (all on the simulator here)', () => {
    const r = aiServices(simUrl);
    expect(r.stdout).toMatch(/PASS +openai .*\(LLM simulator\)/);
    expect(r.stdout).toMatch(/PASS +anthropic /);
    expect(r.status).toBe(0);
  });

  it('ai-services names each provider it cannot reach, and why (exit 3: no reply)', () => {
    const r = aiServices(nobody);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/NO REPLY +openai .*refused the connection/);
    expect(r.stdout).toMatch(/NO REPLY +anthropic .*refused the connection/);
  });

  it('performance runs a short load, shows its progress on stderr, and judges it', () => {
    const r = canary('performance', '--url', service, '--duration', '3', '--connections', '4');
    expect(r.stdout).toMatch(/API response time p95 under load \(all modes\) +\d+ ms/);
    expect(r.stdout).toMatch(/API error rate under load +0%/);
    expect(r.stderr).toMatch(/^load 1\/3 s: \d+ requests, 0 errors$/m);
    expect(r.code).toBe(r.out.includes('FAIL') ? 1 : 0);
  });

  it('health-check says in words that nothing answers, and exits 3 (not 1: no target judged)', () => {
    const r = canary('health-check', '--url', nobody);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(
      /NO REPLY +service answers \(\/healthz\) +127\.0\.0\.1:\d+ refused the connection/,
    );
    expect(r.out).not.toMatch(/fetch failed/);
  });

  it('performance loads nothing when the service does not answer (exit 3)', () => {
    const r = canary('performance', '--url', nobody, '--duration', '3');
    expect(r.code).toBe(3);
    expect(r.stderr).not.toMatch(/^load /m);
  });

  it('--json prints one object with the verdict, the exit code and every check', () => {
    const ok = canary('health-check', '--url', service, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      check: 'health-check',
      exitCode: 0,
      verdict: 'met',
      results: [{ outcome: 'pass' }, { outcome: 'pass' }],
    });
    const down = canary('smoke', '--url', nobody, '--json');
    expect(down.code).toBe(3);
    expect(JSON.parse(down.stdout)).toMatchObject({ exitCode: 3, verdict: 'unreachable' });
  });

  it('--env with a missing .env file is a usage error (exit 2) that names the file', () => {
    const r = canary('health-check', '--env', 'nosuchenv');
    expect(r.code).toBe(2);
    expect(r.out).toContain('.env.nosuchenv not found');
  });
});

describe('Prometheus-backed commands', () => {
  it('response-times and monitor-errors judge every target once traffic is recorded', async () => {
    for (let i = 0; i < 40; i++) {
      await getOnce(`${service}/api/search?q=technology%20journalists%20${i}`, {
        'x-user-id': `u-00000${(i % 9) + 1}`,
      });
    }
    await new Promise((r) => setTimeout(r, 4000)); // a few scrapes and rule evaluations
    for (const cmd of ['response-times', 'monitor-errors']) {
      const r = canary(cmd, '--prometheus-url', prom.url);
      expect(r.out).not.toMatch(/query failed/);
      expect(r.out).toMatch(/(PASS|FAIL) +(API|search)/);
      expect(r.code).toBe(/FAIL|NO DATA/.test(r.out) ? 1 : 0);
    }
  });

  it('a Prometheus that is down: every check says why, exit 3', () => {
    const r = canary('monitor-errors', '--prometheus-url', nobody);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(
      /NO REPLY +API error rate +Prometheus did not answer: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query refused the connection/,
    );
  });
});
