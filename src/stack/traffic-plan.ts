// What the synthetic traffic asks: users of every segment, queries a media-relations team would
// type (natural language for the AI path, plain keywords too), and a feedback rating on some
// searches. Pure and seeded, so a test can check the mix.
import { mulberry32, type Random } from '../shared/random.js';

export type Rng = Random;

/** The project's seeded generator (see src/shared/random.ts). */
export const seededRng = mulberry32;

const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;

const BEATS = [
  'technology',
  'climate',
  'healthcare',
  'fintech',
  'politics',
  'sports',
  'fashion',
  'automotive',
  'energy',
  'travel',
  'food',
  'startups',
];
const ROLES = ['journalists', 'reporters', 'editors', 'podcasters', 'columnists', 'bloggers'];
const PLACES = ['London', 'New York', 'Berlin', 'San Francisco', 'Paris', 'Toronto', 'Sydney'];
const OUTLETS = ['national newspapers', 'trade magazines', 'TV news', 'online outlets', 'radio'];
const TEMPLATES: readonly ((rng: Rng) => string)[] = [
  (r) => `${pick(r, BEATS)} ${pick(r, ROLES)} in ${pick(r, PLACES)}`,
  (r) => `${pick(r, ROLES)} who cover ${pick(r, BEATS)} at ${pick(r, OUTLETS)}`,
  (r) => `senior ${pick(r, BEATS)} ${pick(r, ROLES)} based in ${pick(r, PLACES)}`,
  (r) => `who writes about ${pick(r, BEATS)} and ${pick(r, BEATS)}?`,
  (r) => pick(r, BEATS), // a plain keyword, as many users still type
  (r) => `${pick(r, BEATS)} ${pick(r, PLACES)}`,
];

export const SEGMENTS = ['internal-users', 'beta-users', 'public'] as const;

export interface TrafficPlanOptions {
  /** Users u-000001 … u-<userCount> exist in the seeded database, across every segment. */
  readonly userCount: number;
  /** Share of searches that get a feedback rating afterwards. */
  readonly feedbackShare: number;
}

export interface PlannedSearch {
  readonly userId: string;
  readonly query: string;
  /** A 1–5 rating to send after the search, or undefined for none. */
  readonly rating: number | undefined;
}

export function userId(n: number): string {
  return `u-${String(n).padStart(6, '0')}`;
}

/** Ratings lean positive (mean ≈ 4.4, above the 4.0 target), with a tail of unhappy users. */
export function pickRating(rng: Rng): number {
  const x = rng();
  if (x < 0.6) return 5;
  if (x < 0.87) return 4;
  if (x < 0.95) return 3;
  if (x < 0.98) return 2;
  return 1;
}

export function planSearch(rng: Rng, opts: TrafficPlanOptions): PlannedSearch {
  const user = userId(1 + Math.floor(rng() * opts.userCount));
  const query = pick(rng, TEMPLATES)(rng);
  const rating = rng() < opts.feedbackShare ? pickRating(rng) : undefined;
  return { userId: user, query, rating };
}
