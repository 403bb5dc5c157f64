// Builds FTS5 MATCH expressions from user text and LLM filters. Every term is a quoted string
// (inner quotes doubled), so nothing a user or an LLM writes can use FTS syntax (NEAR, column
// filters, *, ^, parentheses): it is only ever searched for. The expression itself is passed to
// SQLite as a bound parameter.
import type { SearchFilters } from '../llm/types.js';

const STOP_WORDS = new Set(
  'a an and are as at be by for from in into is it of on or the to who with whose that this these those me find show give list any all some people person'.split(
    ' ',
  ),
);
const MAX_TERMS = 16;

export function quoteTerm(term: string): string {
  return `"${term.replace(/"/g, '""')}"`;
}

/** Words of the query (letters and digits), lower-cased, stop words dropped, at most 16. */
export function queryWords(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => !STOP_WORDS.has(w)))].slice(0, MAX_TERMS);
}

/** Every word must match (`all`) or any of them (`any`); either way ranked by BM25. */
export function keywordMatch(query: string, how: 'all' | 'any'): string | undefined {
  const words = queryWords(query);
  return words.length === 0 ? undefined : words.map(quoteTerm).join(how === 'all' ? ' ' : ' OR ');
}

function anyOf(terms: readonly string[]): string | undefined {
  const usable = terms.filter((t) => /[\p{L}\p{N}]/u.test(t)).slice(0, MAX_TERMS);
  return usable.length === 0 ? undefined : `(${usable.map(quoteTerm).join(' OR ')})`;
}

/**
 * Every non-empty filter must match (AND), any term within a filter may (OR); each filter is
 * restricted to its column(s). Keywords match anywhere.
 */
export function filterMatch(filters: SearchFilters): string | undefined {
  const groups: [string, readonly string[]][] = [
    ['', filters.keywords],
    ['beats', filters.beats],
    ['{city country}', filters.locations],
    ['outlet', filters.outlets],
    ['role', filters.roles],
    ['languages', filters.languages],
  ];
  const parts = groups.flatMap(([columns, terms]) => {
    const expr = anyOf(terms);
    if (expr === undefined) return [];
    return [columns === '' ? expr : `${columns} : ${expr}`];
  });
  return parts.length === 0 ? undefined : parts.join(' AND ');
}
