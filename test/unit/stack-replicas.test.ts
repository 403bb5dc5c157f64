import { describe, expect, it } from 'vitest';
import {
  MAX_REPLICAS,
  parseReplicas,
  replicaName,
  replicaPorts,
} from '../../src/stack/replicas.js';
import { replicaFor } from '../../src/stack/traffic.js';

describe('parseReplicas (canary start --replicas)', () => {
  it.each([
    ['1', 1],
    ['3', 3],
    [' 16 ', 16],
  ])('accepts %j', (raw, n) => {
    expect(parseReplicas(raw)).toEqual({ ok: true, value: n });
  });

  it.each(['0', '17', '-1', '2.5', '1e1', '0x2', '3abc', '', 'three', '0003000'])(
    'refuses %j and says what it expects',
    (raw) => {
      const r = parseReplicas(raw);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain(`from 1 to ${MAX_REPLICAS}, got ${JSON.stringify(raw)}`);
    },
  );
});

describe('replicaPorts', () => {
  it('keeps the first port and adds distinct free ones, skipping ports the stack already uses', async () => {
    const offers = [3000, 3100, 5001, 5001, 5002];
    const ports = await replicaPorts(3000, 3, [3100], async () => offers.shift()!);
    expect(ports).toEqual([3000, 5001, 5002]);
  });

  it('asks for nothing with one replica', async () => {
    expect(await replicaPorts(3000, 1, [], () => Promise.reject(new Error('asked')))).toEqual([
      3000,
    ]);
  });

  it('gives up with a clear error instead of looping when no new port comes', async () => {
    await expect(replicaPorts(3000, 2, [], async () => 3000)).rejects.toThrow(/free ports/);
  });
});

describe('replica names and traffic', () => {
  it('names a single replica "service" as before, several service-1…N', () => {
    expect(replicaName(1, 1)).toBe('service');
    expect([1, 2, 3].map((i) => replicaName(i, 3))).toEqual([
      'service-1',
      'service-2',
      'service-3',
    ]);
  });

  it('spreads searches round robin: each of N replicas gets every Nth search', () => {
    const urls = ['a', 'b', 'c'];
    const counts = new Map<string, number>();
    for (let n = 0; n < 300; n++) {
      const u = replicaFor(n, urls);
      counts.set(u, (counts.get(u) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ a: 100, b: 100, c: 100 });
    expect(() => replicaFor(0, [])).toThrow(/at least one/);
  });
});
