import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  filterMatch,
  keywordMatch,
  queryWords,
  quoteTerm,
} from '../../src/search/contacts/fts-query.js';

const emptyFilters = {
  keywords: [],
  beats: [],
  locations: [],
  outlets: [],
  roles: [],
  languages: [],
};

describe('FTS query building', () => {
  it.each([
    ['climate reporters in Berlin', '"climate" "reporters" "berlin"'],
    ['Müller', '"müller"'],
    ['NEAR(a b) OR content:x*', '"near" "b" "content" "x"'],
    ['"; DROP TABLE contacts; --', '"drop" "table" "contacts"'],
  ])('keywords of %j become quoted words: %s', (q, expected) => {
    expect(keywordMatch(q, 'all')).toBe(expected);
  });

  it('joins words with OR when any word may match', () => {
    expect(keywordMatch('climate berlin', 'any')).toBe('"climate" OR "berlin"');
  });

  it('gives no expression when only stop words or punctuation remain', () => {
    expect(keywordMatch('in the a', 'all')).toBeUndefined();
    expect(keywordMatch('!!! ***', 'all')).toBeUndefined();
  });

  it('doubles quotes inside a term', () => {
    expect(quoteTerm('say "hi"')).toBe('"say ""hi"""');
  });

  it('restricts each filter to its columns and requires every filter', () => {
    const expr = filterMatch({
      ...emptyFilters,
      beats: ['climate', 'energy'],
      locations: ['Berlin'],
      languages: ['German'],
    });
    expect(expr).toBe(
      'beats : ("climate" OR "energy") AND {city country} : ("Berlin") AND languages : ("German")',
    );
  });

  it('gives no expression for empty filters', () => {
    expect(filterMatch(emptyFilters)).toBeUndefined();
    expect(filterMatch({ ...emptyFilters, outlets: ['***'] })).toBeUndefined();
  });

  it('never lets user text out of its quotes (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (q) => {
        const expr = keywordMatch(q, 'any');
        if (expr === undefined) return;
        // Each term is "word" with letters/digits only; terms are joined by OR.
        for (const part of expr.split(' OR ')) expect(part).toMatch(/^"[\p{L}\p{N}]+"$/u);
        expect(queryWords(q).length).toBeLessThanOrEqual(16);
      }),
    );
  });

  it('keeps LLM filter values inside balanced quotes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 64 }), { maxLength: 10 }),
        (terms) => {
          const expr = filterMatch({ ...emptyFilters, outlets: terms });
          if (expr === undefined) return;
          // Removing every quoted string leaves only our own syntax.
          const outside = expr.replace(/"(?:[^"]|"")*"/g, 'T');
          expect(outside).toMatch(/^outlet : \(T( OR T)*\)$/);
        },
      ),
    );
  });
});
