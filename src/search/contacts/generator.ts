// A deterministic generator of realistic media contacts and users: the same seed always gives the
// same rows, so tests, benchmarks and the local stack all search the same data.
import type { UserSegment } from '../../flags/types.js';
import { mulberry32, type Random } from '../../shared/random.js';
import { BEATS, CITIES, LANGUAGES, OUTLETS, ROLES } from '../../llm-sim/vocabulary.js';
import { COUNTRY_LANGUAGE, FIRST_NAMES, LAST_NAMES } from './vocabulary.js';

export interface Contact {
  readonly id: number;
  readonly name: string;
  readonly outlet: string;
  readonly role: string;
  readonly beats: readonly string[];
  readonly city: string;
  readonly country: string;
  readonly languages: readonly string[];
  readonly bio: string;
  readonly email: string;
  readonly twitter: string;
  readonly linkedin: string;
}

export interface User {
  readonly id: string;
  readonly segment: UserSegment;
}

/** The documented share of each segment among generated users (the rest is `public`). */
export const SEGMENT_SHARES = { 'internal-users': 0.05, 'beta-users': 0.15 } as const;

export type { Random };

/** The project's seeded generator (see src/shared/random.ts). */
export const seededRandom = mulberry32;

function pick<T>(rnd: Random, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)] as T;
}

function pickSome<T>(rnd: Random, items: readonly T[], min: number, max: number): T[] {
  const n = min + Math.floor(rnd() * (max - min + 1));
  const out = new Set<T>();
  while (out.size < n) out.add(pick(rnd, items));
  return [...out];
}

function slug(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

const HOOKS = [
  'known for investigative long-reads',
  'breaks news on policy and regulation',
  'focuses on data-driven stories',
  'writes founder and executive profiles',
  'prefers exclusive interviews',
  'runs a weekly newsletter',
  'often moderates panels and conferences',
  'interested in human-interest angles',
  'covers earnings and quarterly results',
  'likes embargoed announcements with data',
  'produces explainer videos',
  'focuses on local community impact',
  'tracks product launches and reviews',
  'reports from the field',
  'open to pitches by email only',
] as const;

function bioFor(c: Omit<Contact, 'bio' | 'email' | 'twitter' | 'linkedin'>, rnd: Random): string {
  const years = 2 + Math.floor(rnd() * 25);
  const [first, second] = c.beats;
  const covers = second ? `${first} and ${second}` : first;
  const hook = pick(rnd, HOOKS);
  return rnd() < 0.5
    ? `Covers ${covers}; ${hook}. ${years} years of experience.`
    : `${years} years on the ${first} desk, ${hook}.`;
}

function languagesFor(country: string, rnd: Random): string[] {
  const out = new Set<string>([COUNTRY_LANGUAGE[country] ?? 'English']);
  if (rnd() < 0.5) out.add('English');
  if (rnd() < 0.1) out.add(pick(rnd, LANGUAGES));
  return [...out];
}

export function generateContact(id: number, rnd: Random): Contact {
  const first = pick(rnd, FIRST_NAMES);
  const last = pick(rnd, LAST_NAMES);
  const place = pick(rnd, CITIES);
  const outlet = pick(rnd, OUTLETS);
  const base = {
    id,
    name: `${first} ${last}`,
    outlet,
    role: pick(rnd, ROLES),
    beats: pickSome(rnd, BEATS, 1, 3),
    city: place.city,
    country: place.country,
    languages: languagesFor(place.country, rnd),
  };
  const handle = `${slug(first)}${slug(last)}${id}`;
  return Object.freeze({
    ...base,
    bio: bioFor(base, rnd),
    email: `${slug(first)}.${slug(last)}.${id}@${slug(outlet)}.example`,
    twitter: `@${handle}`,
    linkedin: `https://www.linkedin.com/in/${handle}`,
  });
}

/** Contacts 1..count, in order, from one seed. */
export function* generateContacts(count: number, seed: number): Generator<Contact> {
  const rnd = seededRandom(seed);
  for (let id = 1; id <= count; id++) yield generateContact(id, rnd);
}

/** Users `u-000001`…, each in a segment drawn with SEGMENT_SHARES. */
export function* generateUsers(count: number, seed: number): Generator<User> {
  const rnd = seededRandom(seed ^ 0x5eed);
  const internal = SEGMENT_SHARES['internal-users'];
  const beta = internal + SEGMENT_SHARES['beta-users'];
  for (let i = 1; i <= count; i++) {
    const r = rnd();
    const segment: UserSegment =
      r < internal ? 'internal-users' : r < beta ? 'beta-users' : 'public';
    yield { id: `u-${String(i).padStart(6, '0')}`, segment };
  }
}
