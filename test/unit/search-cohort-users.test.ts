import { describe, expect, it } from 'vitest';
import { CohortUsers } from '../../src/search/cohort-users.js';

describe('distinct users per flag variant', () => {
  it('counts each user once per variant until the flag changes, and stays bounded', () => {
    const c = new CohortUsers(2);
    expect(c.firstSighting('on', 'u1')).toBe(true);
    expect(c.firstSighting('on', 'u1')).toBe(false);
    expect(c.firstSighting('off', 'u1')).toBe(true);
    expect(c.firstSighting('on', 'u2')).toBe(true);
    // Full: an undercount only extends a hold, it never promotes early.
    expect(c.firstSighting('on', 'u3')).toBe(false);
    c.reset();
    expect(c.firstSighting('on', 'u1')).toBe(true);
    expect(c.firstSighting('on', 'u3')).toBe(true);
  });
});
