import { describe, expect, it } from 'vitest';
import {
  generateContacts,
  generateUsers,
  SEGMENT_SHARES,
} from '../../src/search/contacts/generator.js';
import { BEATS, CITIES, OUTLETS, ROLES } from '../../src/llm-sim/vocabulary.js';

describe('contacts generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = [...generateContacts(50, 7)];
    const b = [...generateContacts(50, 7)];
    const c = [...generateContacts(50, 8)];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('makes realistic, consistent contacts from the shared vocabulary', () => {
    const emails = new Set<string>();
    for (const c of generateContacts(2000, 1)) {
      expect(OUTLETS).toContain(c.outlet);
      expect(ROLES).toContain(c.role);
      for (const beat of c.beats) expect(BEATS).toContain(beat);
      expect(c.beats.length).toBeGreaterThanOrEqual(1);
      expect(CITIES.find((p) => p.city === c.city)?.country).toBe(c.country);
      expect(c.languages.length).toBeGreaterThanOrEqual(1);
      expect(c.email).toMatch(/^[a-z0-9.]+@[a-z0-9]+\.example$/);
      expect(c.twitter).toMatch(/^@\w+$/);
      expect(c.bio.length).toBeGreaterThan(20);
      emails.add(c.email);
    }
    expect(emails.size).toBe(2000);
  });

  it('puts users in segments with the documented shares', () => {
    const users = [...generateUsers(20_000, 42)];
    expect(users[0]?.id).toBe('u-000001');
    const share = (s: string) => users.filter((u) => u.segment === s).length / users.length;
    expect(share('internal-users')).toBeCloseTo(SEGMENT_SHARES['internal-users'], 1);
    expect(share('beta-users')).toBeCloseTo(SEGMENT_SHARES['beta-users'], 1);
    expect(share('public')).toBeGreaterThan(0.75);
  });
});
