import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { effectiveFaults, parseFaults } from '../../src/llm-sim/faults.js';
import { createRng } from '../../src/llm-sim/rng.js';
import { extractQuery, simulateAnswer } from '../../src/llm-sim/simulated-answer.js';
import { understandQuery } from '../../src/llm-sim/understand-query.js';
import { validateFilters } from '../../src/search/llm/validate-filters.js';

describe('the simulated model reads queries against the shared vocabulary', () => {
  it.each([
    [
      'climate reporters in Paris',
      { beats: ['climate'], locations: ['Paris'], roles: ['reporter'] },
    ],
    [
      'tech journalists at The Verge in SF',
      {
        beats: ['technology'],
        outlets: ['The Verge'],
        locations: ['San Francisco'],
        roles: ['journalist'],
      },
    ],
    [
      'Spanish-speaking health editors',
      { beats: ['health'], roles: ['editor'], languages: ['Spanish'] },
    ],
    ['French correspondents', { locations: ['France'], roles: ['correspondent'] }],
    [
      'New York Times columnists covering real estate',
      { outlets: ['The New York Times'], roles: ['columnist'], beats: ['real estate'] },
    ],
    ['podcasters about electric bikes', { roles: ['podcaster'], keywords: ['electric', 'bikes'] }],
  ])('%s', (query, expected) => {
    expect(understandQuery(query)).toMatchObject(expected);
  });

  it('is deterministic', () => {
    expect(understandQuery('tech reporters in Berlin')).toEqual(
      understandQuery('tech reporters in Berlin'),
    );
  });

  it('always answers with filters our validator accepts, whatever the query', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (query) => {
        const r = validateFilters(JSON.stringify(understandQuery(query)));
        expect(r.ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('reads the query out of our prompt envelope, or takes the whole message', () => {
    expect(
      extractQuery([
        { role: 'system', content: 'x' },
        { role: 'user', content: '{"query":"tech"}' },
      ]),
    ).toBe('tech');
    expect(extractQuery([{ role: 'user', content: [{ type: 'text', text: 'plain words' }] }])).toBe(
      'plain words',
    );
  });

  it('counts about four characters per token and cuts the answer at max_tokens', () => {
    const full = simulateAnswer({
      kind: 'filters',
      query: 'tech reporters',
      promptChars: 400,
      maxTokens: undefined,
      rng: createRng(1),
    });
    expect(full.usage.inputTokens).toBe(100);
    expect(full.usage.outputTokens).toBe(Math.ceil(full.text.length / 4));
    const cut = simulateAnswer({
      kind: 'filters',
      query: 'tech reporters',
      promptChars: 400,
      maxTokens: 5,
      rng: createRng(1),
    });
    expect(cut).toMatchObject({ truncated: true, usage: { outputTokens: 5 } });
    expect(validateFilters(cut.text).ok).toBe(false);
  });

  it.each(['garbage', 'injection'] as const)('%s answers never pass validation', (kind) => {
    const rng = createRng(3);
    for (let i = 0; i < 20; i++) {
      const a = simulateAnswer({ kind, query: 'tech', promptChars: 10, maxTokens: undefined, rng });
      expect(validateFilters(a.text).ok).toBe(false);
    }
  });
});

describe('fault settings', () => {
  it.each([
    [{ errorRate: 1.5 }, 'errorRate'],
    [{ errorRate: -0.1 }, 'errorRate'],
    [{ status: 200 }, 'status'],
    [{ mode: 'explode' }, 'mode'],
    [{ latencyMs: 1.5 }, 'latencyMs'],
    [{ providers: { mistral: { errorRate: 1 } } }, 'providers'],
    [{ providers: { openai: { errorRate: 2 } } }, 'providers.openai.errorRate'],
    [{ error_rate: 0.2 }, 'error_rate'],
    [[], '(body)'],
  ])('rejects %j, naming %s', (input, field) => {
    const r = parseFaults(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(field);
  });

  it("lets a provider's own settings win field by field", () => {
    const r = parseFaults({
      errorRate: 0.2,
      latencyMs: 100,
      status: 529,
      providers: { openai: { errorRate: 1, mode: 'garbage' } },
    });
    if (!r.ok) throw new Error(r.error);
    expect(effectiveFaults(r.faults, 'openai')).toEqual({
      errorRate: 1,
      latencyMs: 100,
      status: 529,
      mode: 'garbage',
    });
    expect(effectiveFaults(r.faults, 'anthropic')).toEqual({
      errorRate: 0.2,
      latencyMs: 100,
      status: 529,
      mode: 'error',
    });
  });

  it('repeats the same random sequence for the same seed', () => {
    const a = createRng(7);
    const b = createRng(7);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(
      Array.from({ length: 5 }, () => b.next()),
    );
  });
});
