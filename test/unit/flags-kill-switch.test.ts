// The kill switch over every way the flag file can be broken, at the store (the one place the CLI,
// the service's PUT and the daemon's rollback all go through): off always lands, moving the
// broken file aside and keeping the other flags from the last good copy; nothing else does.
import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/shared/clock.js';
import { parseFlagFile } from '../../src/flags/flag-file.js';
import { lastGoodPathFor } from '../../src/flags/flag-file-state.js';
import { makeSpec } from '../../src/flags/rollout.js';
import { AI_SEARCH_FLAG } from '../../src/flags/types.js';
import { BROKEN_FILES } from '../fixtures/broken-flag-files.js';
import { OUTSIDE_TEXT, storeIn, useFlagFolder } from '../fixtures/flag-folder.js';

const meta = { actor: 'oncall', reason: 'incident' };
const folder = useFlagFolder('flags-kill');

const store = () => storeIn(folder);

/** A good history first: AI on at 25%, and a second flag on, so "the other flags" can be checked. */
async function goodHistory(): Promise<void> {
  const s = store();
  expect((await s.update({ flag: AI_SEARCH_FLAG, value: true, percentage: 25 }, meta)).ok).toBe(
    true,
  );
  expect(
    (await s.update({ flag: 'other-flag', value: true, percentage: 5, create: true }, meta)).ok,
  ).toBe(true);
}

const BREAKS = BROKEN_FILES.map(
  (b) => [b.name, b.kind, b.problem, () => b.breakIt(folder.file, folder.outside)] as const,
);

describe('kill switch on a broken flag file', () => {
  it.each(BREAKS)(
    '%s: off lands, the file is moved aside, the other flags survive, it is audited',
    async (_, kind, problem, breakIt) => {
      await goodHistory();
      breakIt();
      const textual = ['empty', 'not-json', 'invalid'].includes(kind);
      const brokenBytes = textual ? readFileSync(folder.file) : undefined;
      const s = store();
      const r = await s.update({ flag: AI_SEARCH_FLAG, value: false }, meta);
      expect(r).toMatchObject({ ok: true, changed: true, recovery: { kind, base: 'last-good' } });
      if (!r.ok || !r.recovery) throw new Error('no recovery');
      expect(r.recovery.problem).toMatch(problem);
      expect(r.after).toEqual(
        makeSpec(false, { 'internal-users': 100, 'beta-users': 0, default: 25 }),
      );
      // A valid regular file now, with the flag off and the other flag as it was.
      expect(lstatSync(folder.file).isFile()).toBe(true);
      const parsed = parseFlagFile(readFileSync(folder.file, 'utf8'), folder.file);
      expect(parsed.ok && parsed.flags.get(AI_SEARCH_FLAG)?.enabled).toBe(false);
      expect(parsed.ok && parsed.flags.get('other-flag')).toEqual(
        makeSpec(true, { 'internal-users': 0, 'beta-users': 0, default: 5 }),
      );
      // The broken thing is kept, as it was, beside the file.
      if (kind === 'missing') expect(r.recovery.movedTo).toBeNull();
      else {
        const aside = r.recovery.movedTo!;
        expect(path.dirname(aside)).toBe(folder.dir);
        expect(path.basename(aside)).toMatch(
          /^flags\.json\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/,
        );
        if (kind === 'symlink') expect(readlinkSync(aside)).toBe(folder.outside);
        else if (kind === 'not-a-file') expect(lstatSync(aside).isDirectory()).toBe(true);
        else expect(readFileSync(aside)).toEqual(brokenBytes);
      }
      expect(readFileSync(folder.outside, 'utf8')).toBe(OUTSIDE_TEXT); // never written through a link
      const last = (await s.history()).at(-1)!;
      expect(last).toMatchObject({
        actor: 'oncall',
        after: { enabled: false },
        recovery: { kind, base: 'last-good' },
      });
      // And it is a good file again: ordinary changes work.
      expect(await s.update({ flag: AI_SEARCH_FLAG, value: true }, meta)).toMatchObject({
        ok: true,
        changed: true,
      });
    },
  );

  it.each(BREAKS)(
    '%s: turning on or changing a percentage refuses, names the problem, touches nothing',
    async (_, _kind, problem, breakIt) => {
      await goodHistory();
      breakIt();
      const listing = () => readdirSync(folder.dir).sort();
      const before = listing();
      for (const change of [
        { flag: AI_SEARCH_FLAG, value: true },
        { flag: AI_SEARCH_FLAG, percentage: 50 },
        { flag: AI_SEARCH_FLAG, value: false, percentage: 0 },
      ]) {
        const r = await store().update(change, meta);
        expect(r).toMatchObject({ ok: false, code: 'corrupt' });
        expect(!r.ok && r.error).toMatch(problem);
        expect(!r.ok && r.error).toContain(folder.file);
        expect(!r.ok && r.error).toMatch(/Nothing was written/);
      }
      expect(listing()).toEqual(before);
      expect(readFileSync(folder.outside, 'utf8')).toBe(OUTSIDE_TEXT);
    },
  );

  it('with no last good copy, the other flags come from the bootstrap variables, and the audit says so', async () => {
    writeFileSync(folder.file, '{"flags": {');
    const r = await store().update({ flag: AI_SEARCH_FLAG, value: false }, meta);
    expect(r).toMatchObject({ ok: true, recovery: { kind: 'not-json', base: 'bootstrap' } });
    expect(existsSync(lastGoodPathFor(folder.file))).toBe(true); // the repaired file is the new last good copy
  });

  it('a file deleted with no last good copy is a first start, not a break: any change works', async () => {
    const r = await store().update({ flag: AI_SEARCH_FLAG, value: true }, meta);
    expect(r).toMatchObject({ ok: true, changed: true });
    expect(r.ok && r.recovery).toBeUndefined();
  });

  it('every successful write refreshes the last good copy', async () => {
    await goodHistory();
    expect(readFileSync(lastGoodPathFor(folder.file), 'utf8')).toBe(
      readFileSync(folder.file, 'utf8'),
    );
  });

  it('a symlinked audit log: ordinary changes refuse before writing; the kill switch lands and writes nothing through it', async () => {
    await goodHistory();
    const audit = path.join(folder.dir, 'flags.audit.jsonl');
    unlinkSync(audit);
    symlinkSync(folder.outside, audit);
    const flagText = readFileSync(folder.file, 'utf8');
    const on = await store().update({ flag: AI_SEARCH_FLAG, percentage: 50 }, meta);
    expect(on).toMatchObject({ ok: false, code: 'io' });
    expect(!on.ok && on.error).toMatch(
      /flags\.audit\.jsonl is a symbolic link.*nothing was written/,
    );
    expect(readFileSync(folder.file, 'utf8')).toBe(flagText);
    const off = await store().update({ flag: AI_SEARCH_FLAG, value: false }, meta);
    expect(off).toMatchObject({ ok: true, changed: true });
    expect(readFileSync(folder.outside, 'utf8')).toBe(OUTSIDE_TEXT);
    await expect(store().history()).rejects.toThrow(/symbolic link/);
  });
});

it('two repairs within one millisecond keep both broken files', async () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 29, 7, 33, 20, 123));
  const s = storeIn(folder, { clock });
  const moved: (string | null)[] = [];
  for (const text of ['first', 'second']) {
    writeFileSync(folder.file, text);
    const r = await s.update({ flag: AI_SEARCH_FLAG, value: false }, meta);
    moved.push(r.ok && r.recovery ? r.recovery.movedTo : null);
  }
  const stamp = `${folder.file}.corrupt-2026-11-29T07-33-20.123Z`;
  expect(moved).toEqual([stamp, `${stamp}-1`]);
  expect([readFileSync(stamp, 'utf8'), readFileSync(`${stamp}-1`, 'utf8')]).toEqual([
    'first',
    'second',
  ]);
});
