// The deployment assets as their own tools see them: promtool, amtool, docker-compose.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { localPrometheusConfig } from '../../src/stack/prometheus-config.js';
import { findRuleFiles, writeFastRules } from '../../src/stack/rule-files.js';
import { FAST } from '../../src/stack/stack.js';
import { findExecutable } from '../../src/stack/tools.js';

const promtool = findExecutable(['promtool']);
const amtool = findExecutable(['amtool']);
const compose = findExecutable(['docker-compose']);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'stack-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

// A rule file with every kind of duration the fast mode rewrites.
const FIXTURE = `groups:
  - name: fixture
    interval: 1m
    rules:
      - record: ai_search:ai_error_ratio:rate5m
        expr: sum(rate(gen_ai_client_operation_duration_count{error_type!=""}[5m])) / sum(rate(gen_ai_client_operation_duration_count[5m]))
      - record: ai_search:cost_baseline_usd:1h
        expr: avg_over_time(sum(rate(ai_search_cost_usd_total[1h]))[7d:1h] offset 1d) * 3600
      - alert: ai_service_failure
        expr: ai_search:ai_error_ratio:rate5m > 0.10
        for: 5m
        keep_firing_for: 1m
        labels: { severity: critical, action: immediate_rollback, flag: ai-search-enabled }
`;

const rulesDir = path.join(tmp, 'rules');
const sources = (): string[] => {
  const fixture = path.join(tmp, 'fixture.rules.yml');
  writeFileSync(fixture, FIXTURE);
  return existsSync('rules') ? [fixture, ...findRuleFiles('rules')] : [fixture];
};

describe.skipIf(!promtool)('promtool (skipped: promtool not installed)', () => {
  it('accepts prometheus.yml as committed', () => {
    const r = run(promtool as string, ['check', 'config', '--syntax-only', 'prometheus.yml']);
    expect(r.out).toMatch(/SUCCESS/);
  });

  it('accepts the fast-mode copies of the rule files (durations scaled, expressions intact)', () => {
    const fast = writeFastRules(sources(), rulesDir, FAST);
    const r = run(promtool as string, ['check', 'rules', ...fast]);
    expect(r.out).not.toMatch(/FAILED/);
    expect(r.ok).toBe(true);
    expect(readFileSync(fast[0] as string, 'utf8')).toContain('[2h48m:1m] offset 24m');
  });

  it('accepts the generated local config, rule files included', () => {
    const fast = writeFastRules(sources(), rulesDir, FAST);
    const file = path.join(tmp, 'prometheus.yml');
    writeFileSync(
      file,
      localPrometheusConfig(readFileSync('prometheus.yml', 'utf8'), {
        jobPorts: { 'ai-search-service': 1, 'canary-daemon': 2, prometheus: 3 },
        ruleFiles: fast,
        alertmanagerPort: 4,
        interval: '1s',
      }),
    );
    const r = run(promtool as string, ['check', 'config', file]);
    expect(r.out).toMatch(/SUCCESS: .*prometheus\.yml is valid/);
    expect(r.ok).toBe(true);
  });
});

describe.skipIf(!amtool)('amtool (skipped: amtool not installed)', () => {
  it('accepts alertmanager.yml', () => {
    expect(run(amtool as string, ['check-config', 'alertmanager.yml']).out).toMatch(/SUCCESS/);
  });
});

describe.skipIf(!compose)('docker-compose (skipped: docker-compose not installed)', () => {
  it('validates docker-compose.yml', () => {
    const r = run(compose as string, ['config', '-q']);
    expect(r.out).toBe('');
    expect(r.ok).toBe(true);
  });

  it('makes every program listen beyond its container (they default to loopback)', () => {
    const c = parse(run(compose as string, ['config']).out) as {
      services: Record<string, { command?: string[] }>;
    };
    for (const name of ['service', 'daemon', 'llm-sim']) {
      expect(c.services[name]?.command?.join(' ')).toContain('--host 0.0.0.0');
    }
  });

  it('publishes the ports DESIGN.md names', () => {
    const c = parse(run(compose as string, ['config']).out) as {
      services: Record<string, { ports?: { published: number | string; target: number }[] }>;
    };
    const published = Object.fromEntries(
      Object.entries(c.services).map(([name, s]) => [
        name,
        s.ports?.map((p) => Number(p.published)),
      ]),
    );
    expect(published).toMatchObject({
      service: [3000],
      daemon: [3100],
      'llm-sim': [3200],
      prometheus: [9090],
      alertmanager: [9093],
      grafana: [3001],
    });
  });
});

describe('Grafana provisioning', () => {
  it('provisions the datasource uid every dashboard panel refers to', () => {
    const ds = parse(
      readFileSync('dashboards/provisioning/datasources/prometheus.yml', 'utf8'),
    ) as {
      datasources: { uid: string; url: string }[];
    };
    expect(ds.datasources[0]).toMatchObject({ uid: 'prometheus', url: 'http://prometheus:9090' });
    for (const file of ['ai-search-rollout.json', 'canary-daemon.json']) {
      const json = readFileSync(path.join('dashboards', file), 'utf8');
      const uids = new Set([...json.matchAll(/"uid": "([^"]+)"/g)].map((m) => m[1]));
      expect(
        [...uids].filter(
          (u) =>
            !['prometheus', '-- Grafana --', 'ai-search-rollout', 'canary-daemon'].includes(
              u as string,
            ),
        ),
      ).toEqual([]);
    }
  });
});
