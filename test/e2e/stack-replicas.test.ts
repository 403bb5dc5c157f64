// `canary start --replicas 2` as a user runs it: two search service processes on their own ports,
// both listed at start, both scraped by Prometheus (one instance each), both receiving the
// synthetic traffic, and Ctrl-C (SIGINT) leaving no process behind.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/index.js';
import { isAlive, runStack, waitFor, type StackRun } from './stack-run.js';

let stack: StackRun;
let replicaUrls: string[];
beforeAll(async () => {
  // A metrics port set in the environment would be the same one for both replicas (the second
  // could not listen): the stack, which scrapes each replica's own port, clears it for them.
  const inherited = { SEARCH_METRICS_PORT: String(await freePort()) };
  stack = await runStack(['--fast', '--replicas', '2', '--no-alertmanager'], inherited);
  replicaUrls = (
    JSON.parse(readFileSync(path.join(stack.dataDir, 'stack.json'), 'utf8')) as {
      replicaUrls: string[];
    }
  ).replicaUrls;
});
afterAll(async () => {
  await stack?.cleanup();
});

interface Vector {
  data: { result: { metric: Record<string, string>; value: [number, string] }[] };
}
const query = async (expr: string) =>
  (
    (await (
      await fetch(`${stack.urls.prometheus}/api/v1/query?${new URLSearchParams({ query: expr })}`)
    ).json()) as Vector
  ).data.result;

describe('canary start --replicas 2', () => {
  it('runs two service processes, the first on --service-port, and lists both', () => {
    expect(Object.keys(stack.pids).sort()).toEqual([
      'daemon',
      'llm-sim',
      'prometheus',
      'service-1',
      'service-2',
    ]);
    expect(replicaUrls).toHaveLength(2);
    expect(replicaUrls[0]).toBe(stack.urls.service);
    expect(new Set(replicaUrls).size).toBe(2);
    expect(stack.output()).toContain('2 replicas, traffic round robin over them');
    for (const u of replicaUrls) expect(stack.output()).toContain(u);
  });

  it('has Prometheus scrape each replica, and the traffic reach each', async () => {
    const instances = replicaUrls.map((u) => u.replace('http://', '')).sort();
    const served = await waitFor('searches on both replicas in Prometheus', async () => {
      const r = await query('sum by (instance) (ai_search_searches_total) > 0');
      const seen = r.map((s) => s.metric.instance!).sort();
      return seen.length === 2 ? seen : undefined;
    });
    expect(served).toEqual(instances);
    const up = await query('up{job="ai-search-service"}');
    expect(up.map((s) => [s.metric.instance, s.value[1]]).sort()).toEqual(
      instances.map((i) => [i, '1']),
    );
  });

  it('stops everything on SIGINT, every replica included', async () => {
    const pids = Object.values(stack.pids);
    expect(pids.every(isAlive)).toBe(true);
    expect(await stack.stop('SIGINT')).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
