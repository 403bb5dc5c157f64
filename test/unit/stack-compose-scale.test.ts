// `docker-compose up --scale service=N`, checked statically: no Docker engine runs on the test
// machines, so these read docker-compose.yml and prometheus.yml as Compose and Prometheus would.
// (test/integration/stack-config.test.ts runs `docker-compose config` and promtool on them too.)
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

interface ComposeService {
  command?: string[];
  ports?: string[];
  container_name?: string;
  environment?: Record<string, string>;
  volumes?: string[];
}
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const prometheus = parse(readFileSync('prometheus.yml', 'utf8')) as {
  scrape_configs: {
    job_name: string;
    static_configs?: unknown;
    dns_sd_configs?: { names: string[]; type: string; port: number }[];
  }[];
};
const service = compose.services.service!;
const listenPort = Number(service.command![service.command!.indexOf('--port') + 1]);

describe('docker-compose: the search service scales', () => {
  it('has no container_name (a fixed name allows one container only)', () => {
    expect(service.container_name).toBeUndefined();
  });

  it('publishes a host port range, one port per replica, not one fixed port', () => {
    expect(service.ports).toHaveLength(1);
    const m = /^(\d+)-(\d+):(\d+)$/.exec(service.ports![0]!);
    expect(m, `ports ${service.ports![0]} is "first-last:${listenPort}"`).not.toBeNull();
    const [first, last, target] = [Number(m![1]), Number(m![2]), Number(m![3])];
    expect(target).toBe(listenPort);
    expect(first).toBe(3000); // the README's URL stays the first replica's
    expect(last - first + 1).toBeGreaterThanOrEqual(3);
  });

  it('gives every replica the same database and flag store (one shared /data volume)', () => {
    expect(service.volumes).toEqual(['app-data:/data']);
    expect(service.command).toEqual(expect.arrayContaining(['--data-dir', '/data']));
    expect(compose.services.daemon?.volumes).toContain('app-data:/data');
  });

  it('is found by Prometheus through DNS (one target per replica), on the port it listens on', () => {
    const job = prometheus.scrape_configs.find((j) => j.job_name === 'ai-search-service');
    expect(job?.static_configs).toBeUndefined();
    expect(job?.dns_sd_configs).toEqual([
      expect.objectContaining({ names: ['service'], type: 'A', port: listenPort }),
    ]);
  });

  it('is reached by the other containers through the service name, never a container', () => {
    const urls = Object.values(compose.services).flatMap((s) =>
      Object.values(s.environment ?? {}).filter((v) => /^http:\/\/service[:/]/.test(v)),
    );
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.every((u) => u === `http://service:${listenPort}`)).toBe(true);
  });

  it('keeps the other services at one fixed port each (they are single-instance)', () => {
    for (const name of ['daemon', 'llm-sim', 'prometheus', 'alertmanager', 'grafana']) {
      expect(compose.services[name]?.ports, name).toEqual([expect.stringMatching(/^\d+:\d+$/)]);
    }
  });
});
