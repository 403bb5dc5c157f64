// The file store on a real temporary folder: atomic locked writes, the audit log, and every
// expected failure turned into a result a person can act on.
import { existsSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditPathFor } from '../../src/flags/audit-log.js';
import { createFileFlagStore, type FileFlagStoreOptions } from '../../src/flags/file-flag-store.js';
import { FlagFileError } from '../../src/flags/flag-file.js';
import { makeSpec } from '../../src/flags/rollout.js';
import { AI_SEARCH_FLAG } from '../../src/flags/types.js';
import { OFF_BOOTSTRAP, silentLogger, storeIn, useFlagFolder } from '../fixtures/flag-folder.js';

const meta = { actor: 'alice', reason: 'test' };
const folder = useFlagFolder('flags-store');
const store = (extra: Partial<FileFlagStoreOptions> = {}) => storeIn(folder, extra);

describe('file flag store', () => {
  it('creates the file from the bootstrap values on first update and audits the change', async () => {
    const s = store();
    const r = await s.update(
      { flag: AI_SEARCH_FLAG, value: true, percentage: 1, segment: 'internal-users' },
      meta,
    );
    expect(r).toEqual({
      ok: true,
      changed: true,
      before: makeSpec(false, { 'internal-users': 100, 'beta-users': 0, default: 0 }),
      after: makeSpec(true, { 'internal-users': 1, 'beta-users': 0, default: 0 }),
    });
    expect(await s.getRollout(AI_SEARCH_FLAG)).toEqual(r.ok && r.after);
    const history = await s.history();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ actor: 'alice', reason: 'test', flag: AI_SEARCH_FLAG });
    expect(existsSync(auditPathFor(folder.file))).toBe(true);
    expect(existsSync(`${folder.file}.lock`)).toBe(false);
  });

  it('reports a no-op as changed: false and does not audit it', async () => {
    const s = store();
    await s.update({ flag: AI_SEARCH_FLAG, value: true }, meta);
    const again = await s.update({ flag: AI_SEARCH_FLAG, value: true }, meta);
    expect(again).toMatchObject({ ok: true, changed: false });
    expect(await s.history()).toHaveLength(1);
  });

  it('refuses an unknown flag unless asked to create it, leaving the file unchanged', async () => {
    const s = store();
    await s.ensureFlagFile();
    const before = readFileSync(folder.file, 'utf8');
    const r = await s.update({ flag: 'new-flag', value: true }, meta);
    expect(r).toMatchObject({ ok: false, code: 'unknown-flag' });
    expect(!r.ok && r.error).toMatch(
      /unknown flag "new-flag" .*known: ai-search-enabled.*--create/,
    );
    expect(readFileSync(folder.file, 'utf8')).toBe(before);
    const created = await s.update({ flag: 'new-flag', percentage: 5, create: true }, meta);
    expect(created).toMatchObject({
      ok: true,
      before: null,
      after: makeSpec(false, { 'internal-users': 0, 'beta-users': 0, default: 5 }),
    });
  });

  it('ensureFlagFile creates the file once', async () => {
    const s = store();
    expect(await s.ensureFlagFile()).toEqual({ ok: true, created: true });
    expect(await s.ensureFlagFile()).toEqual({ ok: true, created: false });
  });

  it('serializes concurrent updates: the audit entries form one unbroken chain', async () => {
    const s = store();
    await s.ensureFlagFile();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        s.update({ flag: AI_SEARCH_FLAG, percentage: i + 1 }, meta),
      ),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    const history = await s.history();
    expect(history).toHaveLength(20);
    for (let k = 1; k < history.length; k++)
      expect(history[k]!.before).toEqual(history[k - 1]!.after);
    expect(await s.getRollout(AI_SEARCH_FLAG)).toEqual(history.at(-1)!.after);
  });

  it('updateIf turns a flag off once however many writers race; the others get unmet and no audit entry', async () => {
    const s = store();
    await s.update({ flag: AI_SEARCH_FLAG, value: true }, meta);
    const results = await Promise.all(
      ['daemon-a', 'daemon-b', 'daemon-c'].map((actor) =>
        storeIn(folder).updateIf(
          { flag: AI_SEARCH_FLAG, value: false },
          { actor, reason: 'race' },
          { enabled: true },
        ),
      ),
    );
    expect(results.filter((r) => r.ok && r.changed)).toHaveLength(1);
    const losers = results.filter((r) => r.ok && !r.changed);
    expect(losers).toHaveLength(2);
    for (const r of losers) expect(r.ok && r.unmet).toMatch(/not on: nothing to do/);
    const offs = (await s.history()).filter((e) => e.reason === 'race');
    expect(offs).toHaveLength(1);
    expect(offs[0]!.before?.enabled).toBe(true);
    expect((await s.getRollout(AI_SEARCH_FLAG))?.enabled).toBe(false);
  });

  it('updateIf still turns a flag off over a broken file (no state to compare: off is the safe guess)', async () => {
    writeFileSync(folder.file, '{"flags": {');
    const r = await store().updateIf({ flag: AI_SEARCH_FLAG, value: false }, meta, {
      enabled: true,
    });
    expect(r).toMatchObject({ ok: true, changed: true });
    expect(r.ok && r.recovery?.kind).toBe('not-json');
  });

  it('refuses anything but the kill switch on a corrupt file, and says which file and what to do', async () => {
    writeFileSync(folder.file, '{"flags": {');
    const s = store();
    const r = await s.update({ flag: AI_SEARCH_FLAG, value: true }, meta);
    expect(r).toMatchObject({ ok: false, code: 'corrupt' });
    expect(!r.ok && r.error).toContain(folder.file);
    expect(!r.ok && r.error).toMatch(/not valid JSON.*Nothing was written.*canary flags validate/);
    expect(!r.ok && r.error).toMatch(/--value=false\) still works/);
    expect(readFileSync(folder.file, 'utf8')).toBe('{"flags": {');
    await expect(s.getRollout(AI_SEARCH_FLAG)).rejects.toBeInstanceOf(FlagFileError);
  });

  it('waits for a lock held by a live process, then gives up with a clear message', async () => {
    await store().ensureFlagFile();
    const before = readFileSync(folder.file, 'utf8');
    writeFileSync(
      `${folder.file}.lock`,
      JSON.stringify({ pid: process.pid, host: hostname(), time: 'now', token: 'x' }),
    );
    const r = await store({ lockTimeoutMs: 300 }).update(
      { flag: AI_SEARCH_FLAG, value: true },
      meta,
    );
    expect(r).toMatchObject({ ok: false, code: 'locked' });
    expect(!r.ok && r.error).toContain(`locked by process ${process.pid}`);
    expect(!r.ok && r.error).toMatch(/taken over by itself after 10 s/);
    expect(readFileSync(folder.file, 'utf8')).toBe(before);
    expect(existsSync(`${folder.file}.lock`)).toBe(true); // a live holder's lock is never removed
  });

  it('reports an unusable folder as a result, not an exception', async () => {
    writeFileSync(path.join(folder.dir, 'not-a-dir'), '');
    const s = createFileFlagStore({
      path: path.join(folder.dir, 'not-a-dir', 'flags.json'),
      bootstrap: OFF_BOOTSTRAP,
      logger: silentLogger,
    });
    const r = await s.update({ flag: AI_SEARCH_FLAG, value: true }, meta);
    expect(r).toMatchObject({ ok: false, code: 'io' });
    expect(!r.ok && r.error).toMatch(
      /cannot create the folder of .*not-a-dir.*\((ENOTDIR|EEXIST)\)/,
    );
  });

  it('history filters by flag, keeps the most recent, and skips a torn line', async () => {
    const s = store();
    await s.update({ flag: AI_SEARCH_FLAG, value: true }, meta);
    await s.update({ flag: 'other', value: true, create: true }, meta);
    await s.update({ flag: AI_SEARCH_FLAG, percentage: 5 }, meta);
    appendFileSync(auditPathFor(folder.file), '{"time": "torn');
    expect(
      (await s.history({ flag: AI_SEARCH_FLAG })).map((e) => e.after.percentages.default),
    ).toEqual([0, 5]);
    expect((await s.history({ limit: 1 }))[0]!.after.percentages.default).toBe(5);
  });

  it('refuses a bad flag name or an empty actor before touching the file', async () => {
    const s = store();
    expect(await s.update({ flag: 'Bad Name', value: true, create: true }, meta)).toMatchObject({
      ok: false,
      code: 'invalid-change',
    });
    expect(
      await s.update({ flag: AI_SEARCH_FLAG, value: true }, { actor: ' ', reason: '' }),
    ).toMatchObject({ ok: false, code: 'invalid-change' });
    expect(existsSync(folder.file)).toBe(false);
  });
});
