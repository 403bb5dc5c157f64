import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFlagFile, renderFlagFile } from '../../src/flags/flag-file.js';
import {
  applyChange,
  effectiveRollout,
  makeSpec,
  OFF_SPEC,
  specFromBootstrap,
} from '../../src/flags/rollout.js';
import { AI_SEARCH_FLAG, type RolloutSpec } from '../../src/flags/types.js';

const pct = fc.integer({ min: 0, max: 100 });
const specArb = fc
  .record({ enabled: fc.boolean(), i: pct, b: pct, d: pct })
  .map(({ enabled, i, b, d }) =>
    makeSpec(enabled, { 'internal-users': i, 'beta-users': b, default: d }),
  );

const GUIDE = makeSpec(true, { 'internal-users': 1, 'beta-users': 10, default: 0 });
const one = (spec: RolloutSpec) => renderFlagFile(new Map([[AI_SEARCH_FLAG, spec]]));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- hand edits of an untyped JSON document
function edit(mutate: (doc: any) => void): string {
  const doc = JSON.parse(one(GUIDE));
  mutate(doc);
  return JSON.stringify(doc, null, 2);
}

describe('flag file', () => {
  it('parses back exactly the specs it was rendered from', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('a', 'b-c', 'ai-search-enabled'), specArb), (d) => {
        const specs = new Map(Object.entries(d));
        const parsed = parseFlagFile(renderFlagFile(specs), 'f.json');
        expect(parsed).toEqual({ ok: true, flags: specs });
      }),
      { numRuns: 50 },
    );
  });

  it('is deterministic: equal specs give byte-equal files whatever the insertion order', () => {
    const a = new Map([
      ['x', GUIDE],
      ['y', OFF_SPEC],
    ]);
    const b = new Map([
      ['y', OFF_SPEC],
      ['x', GUIDE],
    ]);
    expect(renderFlagFile(a)).toBe(renderFlagFile(b));
  });

  it('keeps the kill switch as defaultVariant off with empty targeting', () => {
    const doc = JSON.parse(
      one(makeSpec(false, { 'internal-users': 100, 'beta-users': 100, default: 100 })),
    );
    expect(doc.flags[AI_SEARCH_FLAG]).toMatchObject({ defaultVariant: 'off', targeting: {} });
  });

  it.each([
    ['not JSON', '{"flags": ', /^f\.json: not valid JSON/],
    ['an array', '[]', /^f\.json: the top level must be a JSON object/],
    ['a wrong $schema', edit((d) => (d.$schema = 'x')), /\$schema must be/],
    [
      'a changed segment evaluator',
      edit((d) => (d.$evaluators['beta-users']['=='][1] = 'vip')),
      /\$evaluators must define/,
    ],
    [
      'an unknown top-level field',
      edit((d) => (d.extra = 1)),
      /unexpected top-level field\(s\): extra/,
    ],
    ['no metadata', edit((d) => delete d.flags[AI_SEARCH_FLAG].metadata), /has no metadata/],
    [
      'a percentage of 150',
      edit((d) => (d.flags[AI_SEARCH_FLAG].metadata.pct_beta_users = 150)),
      /metadata\.pct_beta_users must be a whole number from 0 to 100, got 150/,
    ],
    [
      'a fractional percentage',
      edit((d) => (d.flags[AI_SEARCH_FLAG].metadata.pct_default = 2.5)),
      /pct_default must be a whole number/,
    ],
    [
      'enabled as a string',
      edit((d) => (d.flags[AI_SEARCH_FLAG].metadata.enabled = 'yes')),
      /metadata\.enabled must be true or false/,
    ],
    [
      'targeting edited by hand (metadata says 1%)',
      edit(
        (d) =>
          (d.flags[AI_SEARCH_FLAG].targeting.if[1].fractional = [
            ['on', 50],
            ['off', 50],
          ]),
      ),
      /flag "ai-search-enabled": targeting does not match its metadata/,
    ],
    [
      'defaultVariant on',
      edit((d) => (d.flags[AI_SEARCH_FLAG].defaultVariant = 'on')),
      /defaultVariant does not match/,
    ],
    [
      'a disabled state',
      edit((d) => (d.flags[AI_SEARCH_FLAG].state = 'DISABLED')),
      /state does not match/,
    ],
    [
      'a bad flag key',
      edit((d) => (d.flags['Bad Key'] = d.flags[AI_SEARCH_FLAG])),
      /flag key "Bad Key" is not valid/,
    ],
  ])('rejects %s with a message naming the file', (_name, text, message) => {
    const r = parseFlagFile(text, 'f.json');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatch(/^f\.json: /);
      expect(r.error).toMatch(message);
    }
  });
});

describe('rollout rules', () => {
  it.each([
    [
      { aiSearchEnabled: false, rolloutPercentage: 0, internalUsers: true, betaUsers: false },
      false,
      100,
      0,
      0,
    ],
    [
      { aiSearchEnabled: true, rolloutPercentage: 25, internalUsers: false, betaUsers: true },
      true,
      0,
      100,
      25,
    ],
  ])(
    'bootstrap %o → enabled %s, internal %i, beta %i, default %i',
    (bootstrap, enabled, i, b, d) => {
      expect(specFromBootstrap(bootstrap)).toEqual(
        makeSpec(enabled, { 'internal-users': i, 'beta-users': b, default: d }),
      );
    },
  );

  it.each([
    [
      'the guide phase 2',
      { value: true, percentage: 1, segment: 'internal-users' as const },
      OFF_SPEC,
      { enabled: true, i: 1, b: 0, d: 0 },
    ],
    [
      'beta 10% keeps the switch',
      { percentage: 10, segment: 'beta-users' as const },
      GUIDE,
      { enabled: true, i: 1, b: 10, d: 0 },
    ],
    ['public 25%', { percentage: 25 }, GUIDE, { enabled: true, i: 1, b: 10, d: 25 }],
    [
      'kill switch keeps the percentages',
      { value: false },
      GUIDE,
      { enabled: false, i: 1, b: 10, d: 0 },
    ],
  ])('%s', (_name, change, before, want) => {
    const r = applyChange(before, { flag: AI_SEARCH_FLAG, ...change });
    expect(r).toEqual({
      ok: true,
      spec: makeSpec(want.enabled, {
        'internal-users': want.i,
        'beta-users': want.b,
        default: want.d,
      }),
    });
  });

  it.each([
    [{}, /nothing to change/],
    [{ value: true, segment: 'beta-users' as const }, /needs a percentage/],
    [{ percentage: 101 }, /percentage 101 is not valid/],
    [{ percentage: 1.5 }, /not valid/],
  ])('refuses %o', (change, message) => {
    const r = applyChange(GUIDE, { flag: AI_SEARCH_FLAG, ...change });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });

  it('serves a segment member the larger of its own and the public percentage', () => {
    const spec = makeSpec(true, { 'internal-users': 1, 'beta-users': 10, default: 25 });
    expect(effectiveRollout(spec)).toEqual({ 'internal-users': 25, 'beta-users': 25, public: 25 });
    expect(effectiveRollout({ ...spec, enabled: false })).toEqual({
      'internal-users': 0,
      'beta-users': 0,
      public: 0,
    });
  });
});
