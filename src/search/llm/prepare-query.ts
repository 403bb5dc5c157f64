// What the LLM gets to read: the query reduced to words an answer could carry as valid terms.
// An answer is rejected when a term holds a character outside TERM_CHARS, is longer than
// MAX_TERM_CHARS or looks like a URL, SQL or instructions to a model (validate-filters.ts). A model
// that echoes the query's own words would then fail *because of the query*, and that failure
// would count against the AI service. So the query is made echo-safe first: characters no term
// may hold become spaces, words longer than a term are split, and a query that still carries a
// URL, SQL or instructions, or has nothing searchable left, is rejected before any call
// (`query_rejected`). After this, an invalid answer is the model's failure, and is counted so.
import { NON_TERM_CHAR, suspiciousContent } from './validate-filters.js';
import { MAX_TERM_CHARS } from './types.js';

export type PreparedQuery =
  { readonly ok: true; readonly query: string } | { readonly ok: false; readonly problem: string };

/** A term starts with a letter, a mark or a digit; a word must hold a letter or a digit at all. */
const LEADING_NON_WORD = /^[^\p{L}\p{M}\p{N}]+/u;
const WORD_CHAR = /[\p{L}\p{N}]/u;

export function prepareQuery(query: string): PreparedQuery {
  const words = query
    .normalize('NFKC') // fullwidth and compatibility forms become their plain letters
    .replace(NON_TERM_CHAR, ' ')
    .replace(/-{2,}/g, '-') // "--" is an SQL comment to the validator
    .split(' ')
    .map((w) => w.replace(LEADING_NON_WORD, ''))
    .filter((w) => WORD_CHAR.test(w))
    .flatMap(splitLong);
  if (words.length === 0) {
    return { ok: false, problem: 'the query has no letters or digits to search for' };
  }
  const prepared = words.join(' ');
  const what = suspiciousContent(prepared);
  if (what) return { ok: false, problem: `the query contains ${what}` };
  return { ok: true, query: prepared };
}

/** Words longer than a term, in pieces of at most MAX_TERM_CHARS code points. */
function splitLong(word: string): string[] {
  const chars = [...word];
  if (chars.length <= MAX_TERM_CHARS) return [word];
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += MAX_TERM_CHARS) {
    const piece = chars
      .slice(i, i + MAX_TERM_CHARS)
      .join('')
      .replace(LEADING_NON_WORD, '');
    if (WORD_CHAR.test(piece)) pieces.push(piece);
  }
  return pieces;
}
