// The rollout as flagd itself evaluates the rendered file: stable, monotone, accurate, and the
// kill switch wins over every percentage.
import { FlagdCore } from '@openfeature/flagd-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderFlagFile } from '../../src/flags/flag-file.js';
import { makeSpec } from '../../src/flags/rollout.js';
import {
  AI_SEARCH_FLAG,
  SEGMENTS,
  type RolloutSpec,
  type UserSegment,
} from '../../src/flags/types.js';

const USER_SEGMENTS: readonly UserSegment[] = [...SEGMENTS, 'public'];

function engine(spec: RolloutSpec): FlagdCore {
  const core = new FlagdCore();
  core.setConfigurations(renderFlagFile(new Map([[AI_SEARCH_FLAG, spec]])));
  return core;
}

function servedIds(core: FlagdCore, segment: UserSegment, ids: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const id of ids) {
    const r = core.resolveBooleanEvaluation(AI_SEARCH_FLAG, false, { targetingKey: id, segment });
    if (r.value) out.add(id);
  }
  return out;
}

const IDS = Array.from({ length: 2_000 }, (_, i) => `user-${i}`);
const pct = fc.integer({ min: 0, max: 100 });

describe('bucketing through flagd-core', () => {
  it('raising a percentage only adds users, per segment (everyone served at 10% is still served at 25%)', () => {
    const low = servedIds(
      engine(makeSpec(true, { 'internal-users': 10, 'beta-users': 10, default: 10 })),
      'beta-users',
      IDS,
    );
    const high = servedIds(
      engine(makeSpec(true, { 'internal-users': 10, 'beta-users': 25, default: 10 })),
      'beta-users',
      IDS,
    );
    expect([...low].filter((id) => !high.has(id))).toEqual([]);
    expect(high.size).toBeGreaterThan(low.size);
  });

  it('property: for any segment and any raise of any percentage, the served set only grows', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<UserSegment>(...USER_SEGMENTS),
        fc.constantFrom('internal-users', 'beta-users', 'default') as fc.Arbitrary<
          'internal-users' | 'beta-users' | 'default'
        >,
        pct,
        pct,
        pct,
        pct,
        pct,
        (segment, raised, i, b, d, from, to) => {
          const base = { 'internal-users': i, 'beta-users': b, default: d };
          const [lo, hi] = from <= to ? [from, to] : [to, from];
          const before = servedIds(
            engine(makeSpec(true, { ...base, [raised]: lo })),
            segment,
            IDS.slice(0, 500),
          );
          const after = servedIds(
            engine(makeSpec(true, { ...base, [raised]: hi })),
            segment,
            IDS.slice(0, 500),
          );
          for (const id of before) expect(after.has(id)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it.each([
    { 'internal-users': 1, 'beta-users': 10, default: 0 },
    { 'internal-users': 50, 'beta-users': 25, default: 5 },
  ])(
    'over 100,000 ids the share served matches the percentage within one point, per segment (%o)',
    (percentages) => {
      const spec = makeSpec(true, percentages);
      const core = engine(spec);
      const ids = Array.from({ length: 100_000 }, (_, i) => `u${i}`);
      for (const segment of USER_SEGMENTS) {
        const want =
          segment === 'public'
            ? percentages.default
            : Math.max(percentages[segment], percentages.default);
        const share = (servedIds(core, segment, ids).size / ids.length) * 100;
        expect(
          Math.abs(share - want),
          `${segment}: served ${share}% for ${want}%`,
        ).toBeLessThanOrEqual(1);
      }
    },
  );

  it('the same user gets the same answer every time (stable bucketing on the user id)', () => {
    const core = engine(makeSpec(true, { 'internal-users': 0, 'beta-users': 0, default: 50 }));
    const first = servedIds(core, 'public', IDS);
    expect(
      servedIds(
        engine(makeSpec(true, { 'internal-users': 0, 'beta-users': 0, default: 50 })),
        'public',
        IDS,
      ),
    ).toEqual(first);
  });

  it('the kill switch turns everyone off, in every segment, whatever the percentages', () => {
    const core = engine(
      makeSpec(false, { 'internal-users': 100, 'beta-users': 100, default: 100 }),
    );
    for (const segment of USER_SEGMENTS) expect(servedIds(core, segment, IDS).size).toBe(0);
    const r = core.resolveBooleanEvaluation(AI_SEARCH_FLAG, true, {
      targetingKey: 'u1',
      segment: 'public',
    });
    expect(r).toMatchObject({ value: false, variant: 'off' });
  });

  it('a user without an id is served off (the default variant)', () => {
    const core = engine(makeSpec(true, { 'internal-users': 100, 'beta-users': 100, default: 100 }));
    expect(core.resolveBooleanEvaluation(AI_SEARCH_FLAG, false, { segment: 'public' }).value).toBe(
      false,
    );
  });
});
