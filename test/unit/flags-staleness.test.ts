// The staleness policy as a table: what a replica serves and says for each state of its link to
// the flag store, before and after FLAGS_STALE_AFTER, under each policy.
import { describe, expect, it } from 'vitest';
import {
  describeHealth,
  servesAllOff,
  storeHealth,
  type LinkState,
  type StaleSettings,
} from '../../src/flags/staleness.js';

const OFF: StaleSettings = { staleAfterMs: 30_000, policy: 'off' };
const KEEP: StaleSettings = { staleAfterMs: 30_000, policy: 'keep' };
const up: LinkState = { connected: true, synced: true, lostAt: undefined, lastError: undefined };
const lost = (at: number): LinkState => ({
  connected: false,
  synced: true,
  lostAt: at,
  lastError: 'ECONNREFUSED',
});

describe('staleness', () => {
  it.each([
    ['connected', up, 100_000, OFF, 'connected', false, true],
    ['never reached', { ...lost(0), synced: false }, 100_000, OFF, 'never-synced', false, false],
    ['lost 29.999 s ago', lost(70_001), 100_000, OFF, 'disconnected', false, true],
    ['lost exactly 30 s ago, policy off', lost(70_000), 100_000, OFF, 'stale', true, true],
    ['lost 30 s ago, policy keep', lost(70_000), 100_000, KEEP, 'stale', false, true],
  ] as const)('%s', (_name, link, now, settings, kind, allOff, ready) => {
    const h = storeHealth(link, now, settings);
    expect(h.kind).toBe(kind);
    expect(servesAllOff(h)).toBe(allOff);
    expect(describeHealth(h, settings).ready).toBe(ready);
  });

  it('says what it serves, and the error only in the detail', () => {
    const off = describeHealth(storeHealth(lost(0), 45_000, OFF), OFF);
    expect(off.reason).toBe(
      'flag store unreachable for 45 s: every flag served off (FLAGS_STALE_POLICY=off) until it is back',
    );
    expect(off.reason).not.toContain('ECONNREFUSED');
    expect(off.detail).toContain('ECONNREFUSED');
    const keep = describeHealth(storeHealth(lost(0), 45_000, KEEP), KEEP);
    expect(keep.reason).toMatch(/cannot hear a rollback/);
    const early = describeHealth(storeHealth(lost(0), 5_000, OFF), OFF);
    expect(early.reason).toMatch(
      /for 5 s: serving the last known flags; after 30 s FLAGS_STALE_POLICY=off applies/,
    );
    expect(describeHealth(storeHealth(up, 1, OFF), OFF)).toEqual({ ready: true });
  });
});
