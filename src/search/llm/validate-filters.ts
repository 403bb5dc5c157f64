// The LLM's answer is untrusted input. It must be exactly one JSON object matching
// SearchFiltersSchema (strict: no extra keys), and no value may carry something other than a
// search term: instructions aimed at a model, URLs, markup or SQL. Anything else is rejected and
// counted as an AI failure; the search then falls back to the next provider or to keyword search.
import { SearchFiltersSchema, type SearchFilters } from './types.js';

export type FiltersCheck = { ok: true; filters: SearchFilters } | { ok: false; problem: string };

/** Letters, digits, spaces and the punctuation names carry (O'Brien, AT&T, AI/ML, Le Monde.fr). */
const TERM_CHARS = /^[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N} .,'’&/()+-]*$/u;
/** One character a term may not contain (the complement of TERM_CHARS' second class). */
export const NON_TERM_CHAR = /[^\p{L}\p{M}\p{N} .,'’&/()+-]/gu;

const SUSPICIOUS: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  {
    pattern: /[a-z][a-z0-9+.-]*:\/\/|\bwww\.|\b[a-z0-9-]+\.(com|net|org|io|ru|xyz|example)\//i,
    what: 'a URL',
  },
  {
    pattern:
      /\b(ignore|disregard|forget|override)\b.{0,40}\b(instruction|prompt|rule|above|previous|prior)s?\b/i,
    what: 'instructions to a model',
  },
  {
    pattern: /\b(system prompt|you are now|act as|new instructions|jailbreak)\b/i,
    what: 'instructions to a model',
  },
  {
    pattern:
      /\b(select\b.{0,40}\bfrom|union\s+(all\s+)?select|drop\s+table|insert\s+into|delete\s+from|update\s+\w+\s+set|or\s+1\s*=\s*1)\b/i,
    what: 'SQL',
  },
  { pattern: /--|\/\*|\*\/|;/, what: 'SQL' },
];

/** What in `text` no answer may carry (a URL, instructions to a model, SQL), if anything. */
export function suspiciousContent(text: string): string | undefined {
  for (const { pattern, what } of SUSPICIOUS) if (pattern.test(text)) return what;
  return undefined;
}

function termProblem(term: string): string | undefined {
  const what = suspiciousContent(term);
  if (what) return `looks like ${what}`;
  if (!TERM_CHARS.test(term)) return 'contains characters a search term does not need';
  return undefined;
}

/** A model may wrap JSON in a ```json fence despite the instructions; that much is tolerated. */
function unfence(text: string): string {
  const t = text.trim();
  const m = /^```(?:json)?\s*\n?([\s\S]*?)\n?```$/.exec(t);
  return m ? (m[1] ?? '').trim() : t;
}

export function validateFilters(text: string): FiltersCheck {
  const body = unfence(text);
  if (!body.startsWith('{')) return { ok: false, problem: 'answer is not a JSON object' };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, problem: 'answer is not valid JSON' };
  }
  const parsed = SearchFiltersSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(object)';
    return {
      ok: false,
      problem: `answer does not match the filter schema: ${where}: ${issue?.message}`,
    };
  }
  for (const [key, terms] of Object.entries(parsed.data)) {
    for (const term of terms) {
      const problem = termProblem(term);
      if (problem) return { ok: false, problem: `${key} value ${problem}` };
    }
  }
  return { ok: true, filters: parsed.data };
}
