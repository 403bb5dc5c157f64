// AI_SEARCH_REPLICAS: each replica keeps client shares in its own memory, so each enforces its
// part of the fleet's share and one client spread over every replica still gets the share in all.
import { describe, expect, it } from 'vitest';
import { clientCallsPerReplica, ConfigError, loadConfig } from '../../src/shared/config.js';

const load = (env: Record<string, string>) => loadConfig(env, '/srv/app');
const problems = (env: Record<string, string>): string[] => {
  try {
    load(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
};

describe('AI_SEARCH_REPLICAS', () => {
  it('is 1 by default: one process enforces the whole share', () => {
    const c = load({});
    expect(c.replicas).toBe(1);
    expect(clientCallsPerReplica(c)).toBe(60);
  });

  it.each([
    ['60', '3', 20],
    ['60', '7', 8], // rounded down: 7 × 8 = 56 ≤ 60
    ['0', '5', 0], // no share stays no share
  ])('share %s over %s replicas is %i calls per replica, never more in all', (calls, n, each) => {
    const c = load({ AI_SEARCH_CLIENT_CALL_SHARE: calls, AI_SEARCH_REPLICAS: n });
    expect(clientCallsPerReplica(c)).toBe(each);
    expect(clientCallsPerReplica(c) * c.replicas).toBeLessThanOrEqual(Number(calls));
  });

  it('refuses a split that leaves a replica too few calls for one search, naming the fix', () => {
    expect(problems({ AI_SEARCH_CLIENT_CALL_SHARE: '60', AI_SEARCH_REPLICAS: '30' })).toEqual([
      expect.stringMatching(
        /AI_SEARCH_CLIENT_CALL_SHARE=60 split over AI_SEARCH_REPLICAS=30 replicas leaves 2 .*at least 90, or use 0/,
      ),
    ]);
  });

  it.each(['0', '1001', '2.5', 'three'])('refuses AI_SEARCH_REPLICAS=%s', (raw) => {
    expect(problems({ AI_SEARCH_REPLICAS: raw })).toEqual([
      expect.stringContaining('AI_SEARCH_REPLICAS'),
    ]);
  });
});
