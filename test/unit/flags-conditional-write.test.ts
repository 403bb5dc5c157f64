// "Off only if on" on the flag file: checked under the lock, so of several racing callers one
// turns the flag off (one audit entry) and the others are told why nothing happened.
import { describe, expect, it } from 'vitest';
import { unmetCondition } from '../../src/flags/rollout.js';
import { storeIn, useFlagFolder } from '../fixtures/flag-folder.js';

const FLAG = 'ai-search-enabled';
const folder = useFlagFolder('flags-conditional');

describe('conditional writes on the flag file', () => {
  it('turns a flag off once, with one audit entry, however many callers race', async () => {
    const store = storeIn(folder);
    await store.update({ flag: FLAG, value: true, percentage: 30 }, { actor: 'a', reason: 'go' });
    const results = await Promise.all(
      ['daemon-a', 'daemon-b', 'daemon-c'].map((actor) =>
        storeIn(folder).updateIf(
          { flag: FLAG, value: false },
          { actor, reason: 'x' },
          { enabled: true },
        ),
      ),
    );
    expect(results.filter((r) => r.ok && r.changed)).toHaveLength(1);
    for (const r of results.filter((x) => x.ok && !x.changed))
      expect(r.ok && r.unmet).toBe(
        `${FLAG} is off (kill switch): internal-users 100%, beta-users 0%, public 30%, not on: nothing to do`,
      );
    const offs = (await store.history()).filter((e) => e.before?.enabled && !e.after.enabled);
    expect(offs).toHaveLength(1);
  });

  it('an unknown flag is still refused as unknown, not "unmet"', async () => {
    const r = await storeIn(folder).updateIf(
      { flag: 'nope', value: false },
      { actor: 'a', reason: 'x' },
      { enabled: true },
    );
    expect(r).toMatchObject({ ok: false, code: 'unknown-flag' });
  });

  it('says why, from the state it found', () => {
    expect(unmetCondition('f', undefined, { enabled: true })).toBe(
      'f is not defined, not on: nothing to do',
    );
    expect(unmetCondition('f', undefined, { enabled: false })).toBeUndefined();
  });
});
