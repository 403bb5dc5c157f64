// What the simulated LLM "understands" in a query: a deterministic reading of the words against
// the shared vocabulary. Known phrases become beats, locations, outlets, roles and languages; the
// remaining meaningful words become keywords. Same query, same filters.
import {
  BEATS,
  BEAT_SYNONYMS,
  CITIES,
  COUNTRIES,
  LANGUAGES,
  LOCATION_SYNONYMS,
  OUTLETS,
  ROLES,
  ROLE_SYNONYMS,
} from './vocabulary.js';

export interface SimFilters {
  keywords: string[];
  beats: string[];
  locations: string[];
  outlets: string[];
  roles: string[];
  languages: string[];
}

type Kind = Exclude<keyof SimFilters, 'keywords'>;
interface Entry {
  readonly kind: Kind;
  readonly value: string;
}

const STOPWORDS = new Set(
  (
    'a an the and or of in on at to for from with by about who whom which that this these those is are ' +
    'was be find me show list give get want need looking look search searching someone anyone people ' +
    'person contacts contact covering cover covers covered based working works work writes write ' +
    'writing i we my our please any some all top best good who can could would like into near ' +
    'speaking speaks speak speaker speakers language languages fluent'
  )
    .split(' ')
    .filter(Boolean),
);
const LANGUAGE_CUES = new Set([
  'speaking',
  'speaks',
  'speak',
  'speaker',
  'speakers',
  'language',
  'fluent',
]);
const MAX_PHRASE_WORDS = 4;
const MAX_TERMS = 10;

function words(text: string): string[] {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9-]+/g, ' ')
    .split(' ')
    .map((w) => w.replace(/-+/g, '-').replace(/^-|-$/g, ''))
    .filter(Boolean);
}

function buildIndex(): Map<string, Entry> {
  const index = new Map<string, Entry>();
  const add = (phrase: string, kind: Kind, value: string) => {
    const key = words(phrase).join(' ');
    if (!index.has(key)) index.set(key, { kind, value });
  };
  for (const b of BEATS) add(b, 'beats', b);
  for (const [k, v] of Object.entries(BEAT_SYNONYMS)) add(k, 'beats', v);
  for (const c of CITIES) add(c.city, 'locations', c.city);
  for (const c of COUNTRIES) add(c, 'locations', c);
  for (const [k, v] of Object.entries(LOCATION_SYNONYMS)) add(k, 'locations', v);
  for (const o of OUTLETS) {
    add(o, 'outlets', o);
    if (o.startsWith('The ')) add(o.slice(4), 'outlets', o);
  }
  for (const r of ROLES) add(r, 'roles', r);
  for (const [k, v] of Object.entries(ROLE_SYNONYMS)) add(k, 'roles', v);
  for (const l of LANGUAGES) add(l, 'languages', l);
  return index;
}

const INDEX = buildIndex();
const LANGUAGE_BY_WORD = new Map(LANGUAGES.map((l) => [l.toLowerCase(), l]));

/** Longest known phrase starting at `i` (trying a singular last word too), and its length. */
function matchAt(ws: readonly string[], i: number): { entry: Entry; length: number } | undefined {
  for (let n = Math.min(MAX_PHRASE_WORDS, ws.length - i); n >= 1; n--) {
    const phrase = ws.slice(i, i + n).join(' ');
    const entry =
      INDEX.get(phrase) ?? (phrase.endsWith('s') ? INDEX.get(phrase.slice(0, -1)) : undefined);
    if (entry) return { entry, length: n };
  }
  return undefined;
}

/** "French journalists" is a place; "French-speaking journalists" is a language. */
function languageCue(ws: readonly string[], i: number, length: number): boolean {
  const before = ws[i - 1] ?? '';
  const after = ws[i + length] ?? '';
  return LANGUAGE_CUES.has(before) || LANGUAGE_CUES.has(after) || before === 'in';
}

export function understandQuery(query: string): SimFilters {
  const out: SimFilters = {
    keywords: [],
    beats: [],
    locations: [],
    outlets: [],
    roles: [],
    languages: [],
  };
  const push = (kind: keyof SimFilters, value: string) => {
    if (!out[kind].includes(value) && out[kind].length < MAX_TERMS) out[kind].push(value);
  };
  const ws = words(query).flatMap((w) =>
    w.endsWith('-speaking') ? [w.slice(0, -9), 'speaking'] : [w],
  );
  for (let i = 0; i < ws.length;) {
    const hit = matchAt(ws, i);
    if (hit) {
      const language = hit.length === 1 ? LANGUAGE_BY_WORD.get(ws[i] ?? '') : undefined;
      if (language && languageCue(ws, i, hit.length)) push('languages', language);
      else push(hit.entry.kind, hit.entry.value);
      i += hit.length;
      continue;
    }
    const w = ws[i] ?? '';
    if (w.length >= 3 && !STOPWORDS.has(w) && !/^\d+$/.test(w)) push('keywords', w);
    i += 1;
  }
  return out;
}
