import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { localPrometheusConfig } from '../../src/stack/prometheus-config.js';

const SOURCE = readFileSync(new URL('../../prometheus.yml', import.meta.url), 'utf8');
const PORTS = { 'ai-search-service': 4000, 'canary-daemon': 4100, prometheus: 4090 };

type Config = {
  global: Record<string, string>;
  rule_files: string[];
  alerting?: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: {
    job_name: string;
    static_configs: { targets: string[] }[];
    dns_sd_configs?: unknown;
  }[];
};

const generate = (over: Partial<Parameters<typeof localPrometheusConfig>[1]> = {}): Config =>
  parse(
    localPrometheusConfig(SOURCE, {
      jobPorts: PORTS,
      ruleFiles: ['/tmp/x/rules-fast/a.rules.yml'],
      alertmanagerPort: 4093,
      interval: undefined,
      ...over,
    }),
  ) as Config;

describe('localPrometheusConfig', () => {
  it('points every job of prometheus.yml at its local port', () => {
    const targets = Object.fromEntries(
      generate().scrape_configs.map((j) => [j.job_name, j.static_configs[0]?.targets]),
    );
    expect(targets).toEqual({
      'ai-search-service': ['127.0.0.1:4000'],
      'canary-daemon': ['127.0.0.1:4100'],
      prometheus: ['127.0.0.1:4090'],
    });
  });

  it('scrapes each replica of the search service as its own target (one instance each), with no DNS discovery', () => {
    const job = generate({
      jobPorts: { ...PORTS, 'ai-search-service': [4000, 4001, 4002] },
    }).scrape_configs.find((j) => j.job_name === 'ai-search-service');
    expect(job?.static_configs).toEqual([
      { targets: ['127.0.0.1:4000', '127.0.0.1:4001', '127.0.0.1:4002'] },
    ]);
    expect(job?.dns_sd_configs).toBeUndefined();
  });

  it('refuses a job given no port at all', () => {
    expect(() => generate({ jobPorts: { ...PORTS, 'ai-search-service': [] } })).toThrow(
      /no local port for job\(s\) ai-search-service/,
    );
  });

  it('loads the given rule files and sends alerts to the local Alertmanager', () => {
    const c = generate();
    expect(c.rule_files).toEqual(['/tmp/x/rules-fast/a.rules.yml']);
    expect(c.alerting?.alertmanagers[0]?.static_configs[0]?.targets).toEqual(['127.0.0.1:4093']);
  });

  it('drops alerting when there is no Alertmanager, and keeps the file intervals by default', () => {
    const c = generate({ alertmanagerPort: undefined });
    expect(c.alerting).toBeUndefined();
    expect(c.global.scrape_interval).toBe('15s');
  });

  it('uses 1 s scrape and evaluation intervals in fast mode', () => {
    const c = generate({ interval: '1s' });
    expect(c.global).toMatchObject({ scrape_interval: '1s', evaluation_interval: '1s' });
  });

  it('names a job it has no port for instead of scraping the wrong place', () => {
    expect(() => generate({ jobPorts: { prometheus: 1 } })).toThrow(
      /no local port for job\(s\) ai-search-service, canary-daemon/,
    );
  });

  it('reports broken YAML with the file name', () => {
    expect(() =>
      localPrometheusConfig('scrape_configs: [', {
        jobPorts: PORTS,
        ruleFiles: [],
        alertmanagerPort: undefined,
        interval: undefined,
      }),
    ).toThrow(/prometheus\.yml/);
  });
});
