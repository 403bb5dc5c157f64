// The per-client share of LLM calls with several replicas: shares live in each replica's memory,
// so with AI_SEARCH_REPLICAS=N each replica grants 1/N of the share, and one client alternating
// between the replicas still gets the share once in all, not once per replica. Two real services
// (one database, one flag file), the real LLM layer, the LLM simulator.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmSimulator, type LlmSimulator } from '../../src/llm-sim/index.js';
import { startService, type RunningService } from '../../src/search/main.js';
import { loadConfig } from '../../src/shared/config.js';

const SHARE = 6;
let dir = '';
let sim: LlmSimulator;
const running: RunningService[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'share-replicas-'));
  sim = await startLlmSimulator({
    port: 0,
    seed: 3,
    latency: { baseMs: 2, perOutputTokenMs: 0, jitterMs: 0 },
  });
});

afterAll(async () => {
  for (const s of running) await s.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function fleet(replicas: number, sub: string): Promise<RunningService[]> {
  const config = loadConfig({
    DATA_DIR: path.join(dir, sub),
    LLM_SIM_URL: sim.url,
    NEXT_PUBLIC_AI_SEARCH_ENABLED: 'true',
    NEXT_PUBLIC_AI_SEARCH_ROLLOUT_PERCENTAGE: '100',
    AI_SEARCH_PROVIDERS: 'openai', // one call per search: the share counts searches here
    AI_SEARCH_CACHE_TTL: '0',
    AI_SEARCH_RATE_LIMIT: '0',
    AI_SEARCH_CLIENT_CALL_SHARE: String(SHARE),
    AI_SEARCH_REPLICAS: String(replicas),
    AI_SEARCH_LOG_LEVEL: 'silent',
    ENABLE_AI_SEARCH_MONITORING: 'false',
  });
  const started: RunningService[] = [];
  for (let i = 0; i < 2; i++) {
    const s = await startService({
      config,
      port: 0,
      contacts: 300,
      users: 100,
      clientRateLimit: false,
    });
    running.push(s);
    started.push(s);
  }
  return started;
}

/** One client (one user id, one address) sending `n` different searches, alternating replicas. */
async function oneClient(services: RunningService[], n: number): Promise<string[]> {
  const user = services[0]!.store.usersInSegment('public', 1)[0]!;
  const outcomes: string[] = [];
  for (let i = 0; i < n; i++) {
    const url = `${services[i % services.length]!.url}/api/search?q=${encodeURIComponent(`climate reporters ${i}`)}`;
    const res = await fetch(url, { headers: { 'x-user-id': user } });
    const body = (await res.json()) as { mode: string; degradedReason?: string };
    outcomes.push(body.degradedReason ?? body.mode);
  }
  return outcomes;
}

const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;

describe('the per-client LLM share across two replicas', () => {
  it('with AI_SEARCH_REPLICAS=2, one client over both replicas gets the share once in all', async () => {
    const outcomes = await oneClient(await fleet(2, 'split'), 2 * SHARE);
    expect(count(outcomes, 'ai')).toBe(SHARE);
    expect(count(outcomes, 'client_share_exceeded')).toBe(SHARE);
  });

  it('without it, each replica grants the whole share: the client gets it twice (why the setting exists)', async () => {
    const outcomes = await oneClient(await fleet(1, 'unsplit'), 2 * SHARE);
    expect(count(outcomes, 'ai')).toBe(2 * SHARE);
  });
});
