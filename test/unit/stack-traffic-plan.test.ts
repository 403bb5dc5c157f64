import { describe, expect, it } from 'vitest';
import { pickRating, planSearch, seededRng, userId } from '../../src/stack/traffic-plan.js';

describe('traffic plan', () => {
  const rng = seededRng(42);
  const plans = Array.from({ length: 2000 }, () =>
    planSearch(rng, { userCount: 200, feedbackShare: 0.3 }),
  );

  it('spreads searches over the whole user range (every segment gets traffic)', () => {
    const ids = new Set(plans.map((p) => p.userId));
    expect(ids.size).toBeGreaterThan(150);
    expect([...ids].every((id) => /^u-\d{6}$/.test(id))).toBe(true);
    expect(ids.has(userId(1))).toBe(true);
    expect(ids.has(userId(200))).toBe(true);
  });

  it('varies the queries so the AI cache does not answer everything', () => {
    expect(new Set(plans.map((p) => p.query)).size).toBeGreaterThan(500);
  });

  it('rates about the asked share of searches, with 1–5 ratings leaning positive', () => {
    const rated = plans.filter((p) => p.rating !== undefined);
    expect(rated.length / plans.length).toBeGreaterThan(0.25);
    expect(rated.length / plans.length).toBeLessThan(0.35);
    const r = seededRng(7);
    const ratings = Array.from({ length: 1000 }, () => pickRating(r));
    expect(ratings.every((x) => Number.isInteger(x) && x >= 1 && x <= 5)).toBe(true);
    const mean = ratings.reduce((a, b) => a + b, 0) / ratings.length;
    expect(mean).toBeGreaterThan(4.2); // a healthy stack stays above the 4.0 target
    expect(mean).toBeLessThan(4.6);
  });

  it('is reproducible from its seed', () => {
    const a = seededRng(5);
    const b = seededRng(5);
    const opts = { userCount: 10, feedbackShare: 0.5 };
    expect(planSearch(a, opts)).toEqual(planSearch(b, opts));
  });
});
