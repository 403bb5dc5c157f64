// The deployment assets as their own tools see them: promtool, amtool, docker-compose.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

interface ComposeService {
  command?: string[];
  ports?: { published: number | string; target: number }[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition?: string }>;
  volumes?: string[];
}
let composeConfig: Record<string, ComposeService> | undefined;
// `docker-compose config` (the file as Compose resolves it) takes seconds: run it once.
const composeServices = (): Record<string, ComposeService> =>
  (composeConfig ??= (
    parse(run(compose as string, ['config']).out) as { services: Record<string, ComposeService> }
  ).services);

describe.skipIf(!compose)('docker-compose (skipped: docker-compose not installed)', () => {
  it('validates docker-compose.yml', () => {
    const r = run(compose as string, ['config', '-q']);
    expect(r.out).toBe('');
    expect(r.ok).toBe(true);
  });

  it('makes every program listen beyond its container (they default to loopback)', () => {
    const services = composeServices();
    for (const name of ['service', 'daemon', 'llm-sim']) {
      expect(services[name]?.command?.join(' ')).toContain('--host 0.0.0.0');
    }
  });

  it('publishes the ports DESIGN.md names', () => {
    const published = Object.fromEntries(
      Object.entries(composeServices()).map(([name, s]) => [
        name,
        s.ports?.map((p) =>
          /^\d+$/.test(String(p.published)) ? Number(p.published) : p.published,
        ),
      ]),
    );
    expect(published).toMatchObject({
      // A range: `--scale service=N` gives each replica one of its ports (3000 the first).
      service: ['3000-3009'],
      daemon: [3100],
      'llm-sim': [3200],
      prometheus: [9090],
      alertmanager: [9093],
      grafana: [3001],
    });
  });
});

describe.skipIf(!compose)('docker-compose: health and start-up order', () => {
  it('gives every service a healthcheck, each probing one of its own endpoints', () => {
    const services = composeServices();
    const probes = Object.fromEntries(
      Object.entries(services).map(([name, s]) => [name, s.healthcheck?.test?.join(' ')]),
    );
    expect(probes).toMatchObject({
      service: expect.stringMatching(/bin\/healthcheck\.js .*:3000\/healthz .*:3000\/readyz$/),
      daemon: expect.stringMatching(/bin\/healthcheck\.js .*:3100\/healthz$/),
      'llm-sim': expect.stringMatching(/bin\/healthcheck\.js .*:3200\/healthz$/),
      prometheus: expect.stringMatching(/:9090\/-\/ready$/),
      alertmanager: expect.stringMatching(/:9093\/-\/ready$/),
      grafana: expect.stringMatching(/:3000\/api\/health$/),
    });
  });

  it('waits for health, not for start: every depends_on is service_healthy on a probed service', () => {
    const services = composeServices();
    const edges = Object.entries(services).flatMap(([name, s]) =>
      Object.entries(s.depends_on ?? {}).map(([dep, d]) => ({ name, dep, condition: d.condition })),
    );
    expect(edges.length).toBeGreaterThanOrEqual(3);
    expect(edges.filter((e) => e.condition !== 'service_healthy')).toEqual([]);
    expect(edges.filter((e) => !services[e.dep]?.healthcheck?.test)).toEqual([]);
    // The daemon's first evaluation needs Prometheus and Alertmanager up.
    expect(Object.keys(services.daemon?.depends_on ?? {}).sort()).toEqual([
      'alertmanager',
      'prometheus',
    ]);
  });

  it('mounts the rule files from one place into Prometheus and the daemon; the daemon loads every one', () => {
    const services = composeServices();
    const rulesMount = (name: string) => {
      const found = (services[name]?.volumes ?? [])
        .map((v) => v.split(':'))
        .filter(([source]) => source === path.resolve('rules'));
      expect(found, `${name} mounts ./rules`).toHaveLength(1);
      expect(found[0]?.[2], `${name} mounts ./rules read-only`).toBe('ro');
      return found[0]?.[1] as string;
    };
    expect(rulesMount('prometheus')).toBe('/etc/prometheus/rules');
    const target = rulesMount('daemon');
    // Prometheus loads rules/*.rules.yml (prometheus.yml); the daemon must be given the same files.
    const command = services.daemon?.command ?? [];
    const given = command.slice(command.indexOf('--rules') + 1).filter((a, i, all) => {
      const firstOption = all.findIndex((x) => x.startsWith('--'));
      return firstOption === -1 || i < firstOption;
    });
    expect(given.sort()).toEqual(
      readdirSync('rules')
        .filter((f) => f.endsWith('.rules.yml'))
        .map((f) => `${target}/${f}`)
        .sort(),
    );
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
