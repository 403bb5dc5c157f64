// Service replicas, end to end: a real Prometheus scrapes two real search service processes (one
// database, one flag file), each as its own `instance`, and the rules add them up — no double
// counting, no average of ratios. Then chaos on every replica: the daemon rolls back once, and
// every replica serves keyword mode.
//
// The traffic is uneven on purpose: replica B gets every 20th search, and its first LLM provider
// fails every call (its fallback answers). So the fleet's AI error ratio is about 1/21 (B's two
// calls per search, one failed, against A's one), while B alone is at 50%: an average of the
// per-replica ratios would read about 25% and roll the whole fleet back. The expected values are
// what one process serving all this traffic would count: the sums of the replicas' own counters
// (read from their /metrics) over the same period.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../harness/index.js';
import { daemonActions } from './support/daemon-api.js';
import { AI_FLAG, startE2eStack, stackOutput, type E2eStack } from './support/e2e-stack.js';
import { daemonRollbacks, waitForRollback } from './support/rollback-watch.js';
import { usersOfEverySegment } from './support/segment-users.js';
import { sentBetween, startSteadyTraffic, type SteadyTraffic } from './support/steady-traffic.js';

const SEARCHES_PER_SECOND = 40;
/** Every TO_B-th search goes to replica B. */
const TO_B = 20;
/** `[1h]` in fast mode: the window of ai_search:cost_per_search_usd:1h. */
const COST_WINDOW_MS = 60_000;

let stack: E2eStack;
let traffic: SteadyTraffic;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  stack = await startE2eStack({ seed: 5, replicas: 2, separateSims: true });
  stack.sims[1]!.setFaults({ errorRate: 0, providers: { openai: { errorRate: 1 } } });
  const [a, b] = stack.serviceUrls as [string, string];
  traffic = startSteadyTraffic({
    serviceUrl: a,
    route: (n) => (n % TO_B === TO_B - 1 ? b : a),
    users: usersOfEverySegment(20),
    perSecond: SEARCHES_PER_SECOND,
  });
  // Both replicas' calls in Prometheus, and a full (fast) 5-minute window of them.
  await eventually(
    async () =>
      (
        await stack.prom.query(
          'sum by (instance) (rate(gen_ai_client_operation_duration_count[5s])) > 0',
        )
      ).length === 2 || undefined,
    { what: 'LLM calls from both replicas in Prometheus', timeoutMs: 60_000, intervalMs: 250 },
  );
  await sleep(6000);
}, 180_000);

afterAll(async () => {
  await traffic?.stop();
  await stack?.stop();
});

interface Counters {
  readonly at: number;
  calls: number;
  failedCalls: number;
  searches: number;
  aiSearches: number;
  cost: number;
}

/** The sums, over every replica, of the counters the rules read: one process's view. */
async function fleetCounters(): Promise<Counters> {
  const c: Counters = {
    at: Date.now(),
    calls: 0,
    failedCalls: 0,
    searches: 0,
    aiSearches: 0,
    cost: 0,
  };
  for (const url of stack.serviceUrls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (!m) continue;
      const [name, labels = '', value] = [m[1], m[2], Number(m[3])];
      if (name === 'gen_ai_client_operation_duration_count') {
        c.calls += value;
        if (/error_type="[^"]+"/.test(labels)) c.failedCalls += value;
      } else if (name === 'ai_search_searches_total') {
        c.searches += value;
        if (labels.includes('ai_search_mode="ai"')) c.aiSearches += value;
      } else if (name === 'ai_search_cost_usd_total') c.cost += value;
    }
  }
  return c;
}

const one = async (expr: string, atMs?: number): Promise<number> => {
  const r = await stack.prom.query(expr, atMs === undefined ? undefined : atMs / 1000);
  expect(r, `${expr} has one series`).toHaveLength(1);
  return r[0]!.value;
};

describe('two service replicas behind one Prometheus', () => {
  it('are scraped as two targets, one instance each, both serving', async () => {
    const up = await stack.prom.query('up{job="ai-search-service"} == 1');
    expect(up.map((s) => s.metric.instance).sort()).toEqual(
      stack.serviceUrls.map((u) => u.replace('http://', '')).sort(),
    );
    const served = new Set(traffic.records.map((r) => r.serviceUrl));
    expect([...served].sort()).toEqual([...stack.serviceUrls].sort());
  });

  it('give the rules the values one process would give for the same traffic', async () => {
    const t0 = await fleetCounters();
    await sleep(10_000);
    const t1 = await fleetCounters();
    const at = t1.at;
    const seconds = (t1.at - t0.at) / 1000;

    // AI error ratio: the sum of failures over the sum of calls, not the replicas' mean ratio.
    const truth = (t1.failedCalls - t0.failedCalls) / (t1.calls - t0.calls);
    expect(truth).toBeGreaterThan(0.03);
    expect(truth).toBeLessThan(0.07);
    const ratio = await one('avg_over_time(ai_search:ai_error_ratio:rate5m[10s])', at);
    expect(Math.abs(ratio - truth), `rule ${ratio} vs counters ${truth}`).toBeLessThan(0.015);
    // What averaging the replicas' ratios would have said: far off, above the 10% rollback line.
    const meanOfRatios = await one(
      'avg_over_time(avg(sum by (instance) (rate(gen_ai_client_operation_duration_count{error_type!=""}[5s])) / sum by (instance) (rate(gen_ai_client_operation_duration_count[5s])))[10s:1s])',
      at,
    );
    expect(meanOfRatios).toBeGreaterThan(0.2);

    // Searches per second: every replica counted once.
    const rate = (t1.searches - t0.searches) / seconds;
    const ruleRate = await one('sum(avg_over_time(ai_search:searches:rate5m[10s]))', at);
    expect(ruleRate / rate, `rule ${ruleRate}/s vs counters ${rate}/s`).toBeGreaterThan(0.85);
    expect(ruleRate / rate).toBeLessThan(1.15);
    // The evidence counts too: calls over the (fast) 5-minute window.
    const calls5s = await one('ai_search:ai_calls:increase5m', at);
    const callRate = (t1.calls - t0.calls) / seconds;
    expect(calls5s / (callRate * 5)).toBeGreaterThan(0.8);
    expect(calls5s / (callRate * 5)).toBeLessThan(1.2);
  }, 60_000);

  it('give the cost per AI search of the whole fleet (its 1h window, 1 min in fast mode)', async () => {
    const t0 = await fleetCounters();
    await sleep(COST_WINDOW_MS);
    const t1 = await fleetCounters();
    const truth = (t1.cost - t0.cost) / (t1.aiSearches - t0.aiSearches);
    expect(truth).toBeGreaterThan(0);
    const rule = await one('ai_search:cost_per_search_usd:1h', t1.at);
    expect(rule / truth, `rule $${rule} vs counters $${truth}`).toBeGreaterThan(0.95);
    expect(rule / truth).toBeLessThan(1.05);
    // A minute and more with replica B at 50% AI errors, the fleet near 5%: no rollback.
    expect(await daemonRollbacks(stack)).toEqual([]);
  }, 120_000);

  it('roll back once on chaos, and then every replica serves keyword mode', async () => {
    const injectedAt = Date.now();
    stack.setAiErrorRate(0.3);
    const rollback = await waitForRollback(stack, injectedAt, 90_000);
    stack.setAiErrorRate(0);
    for (const url of stack.serviceUrls) {
      await eventually(
        async () => {
          const r = await fetch(`${url}/api/flags/${AI_FLAG}`);
          const body = (await r.json()) as { rollout: { enabled: boolean } };
          return body.rollout.enabled === false || undefined;
        },
        { what: `${url} to see the flag off`, timeoutMs: 5000, intervalMs: 50 },
      );
    }
    await sleep(3000);
    const after = sentBetween(traffic.records, rollback.offAt + 1000);
    expect(new Set(after.map((r) => r.serviceUrl)).size, stackOutput(stack)).toBe(2);
    expect(after.filter((r) => r.status !== 200 || r.mode !== 'keyword')).toEqual([]);
    // Once: one audit entry, one action, whichever replica's failures tipped the fleet over.
    expect(await daemonRollbacks(stack, injectedAt)).toHaveLength(1);
    const rollbacks = (await daemonActions(stack.daemon.url)).filter(
      (a) => a.action === 'immediate_rollback',
    );
    expect(rollbacks.map((a) => a.outcome)).toEqual(['success']);
  }, 120_000);
});
