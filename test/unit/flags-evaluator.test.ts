// The evaluator against a real file on disk: it follows changes, survives a broken file, and
// always falls back to off.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFlagEvaluator, type FlagEvaluator } from '../../src/flags/evaluator.js';
import { createFileFlagStore } from '../../src/flags/file-flag-store.js';
import { renderFlagFile } from '../../src/flags/flag-file.js';
import { makeSpec } from '../../src/flags/rollout.js';
import { AI_SEARCH_FLAG, type RolloutSpec } from '../../src/flags/types.js';

const bootstrap = {
  aiSearchEnabled: false,
  rolloutPercentage: 0,
  internalUsers: true,
  betaUsers: false,
};
const ALL_ON = makeSpec(true, { 'internal-users': 100, 'beta-users': 100, default: 100 });
const ALL_OFF = makeSpec(false, { 'internal-users': 100, 'beta-users': 100, default: 100 });
const WAIT = { timeout: 5_000, interval: 20 };

let dir: string;
let file: string;
let lines: { level: number; msg: string }[];
const open: FlagEvaluator[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'flags-eval-'));
  file = path.join(dir, 'flags.json');
  lines = [];
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
  rmSync(dir, { recursive: true, force: true });
});

const logger = () =>
  pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });

async function evaluator(target = file): Promise<FlagEvaluator> {
  const e = await createFlagEvaluator({
    path: target,
    bootstrap,
    logger: logger(),
    pollMs: 60_000,
  });
  open.push(e);
  return e;
}

const write = (spec: RolloutSpec, target = file) =>
  writeFileSync(target, renderFlagFile(new Map([[AI_SEARCH_FLAG, spec]])));
const on = async (e: FlagEvaluator) => (await e.evaluate(AI_SEARCH_FLAG, 'user-1', 'public')).value;

describe('flag evaluator', () => {
  it('sees a change written by the store, and tells its listeners', async () => {
    write(ALL_OFF);
    const e = await evaluator();
    expect(await e.evaluate(AI_SEARCH_FLAG, 'user-1', 'internal-users')).toEqual({
      value: false,
      variant: 'off',
      reason: 'STATIC',
    });
    const changed = vi.fn();
    e.onChange(changed);
    const store = createFileFlagStore({ path: file, bootstrap, logger: logger() });
    await store.update({ flag: AI_SEARCH_FLAG, value: true }, { actor: 't', reason: 'test' });
    await vi.waitFor(() => expect(changed).toHaveBeenCalled(), WAIT);
    expect(await e.evaluate(AI_SEARCH_FLAG, 'user-1', 'internal-users')).toMatchObject({
      value: true,
      variant: 'on',
    });
  });

  it('keeps the last good definitions when the file is broken, and says why', async () => {
    write(ALL_ON);
    const e = await evaluator();
    writeFileSync(file, '{"flags": ');
    await vi.waitFor(() => expect(e.lastLoadError()).toMatch(/not valid JSON/), WAIT);
    expect(e.lastLoadError()).toContain(file);
    expect(await on(e)).toBe(true);
    expect(
      lines.some(
        (l) => l.level === 50 && l.msg.includes(file) && l.msg.includes('keeping the last good'),
      ),
    ).toBe(true);
    write(ALL_OFF);
    await vi.waitFor(() => expect(e.lastLoadError()).toBeUndefined(), WAIT);
    expect(await on(e)).toBe(false);
  });

  it('refuses a hand edit whose targeting disagrees with its metadata', async () => {
    write(ALL_OFF);
    const e = await evaluator();
    const doc = JSON.parse(renderFlagFile(new Map([[AI_SEARCH_FLAG, ALL_OFF]])));
    doc.flags[AI_SEARCH_FLAG].defaultVariant = 'on';
    writeFileSync(file, JSON.stringify(doc));
    await vi.waitFor(
      () => expect(e.lastLoadError()).toMatch(/defaultVariant does not match its metadata/),
      WAIT,
    );
    expect(await on(e)).toBe(false);
  });

  it('serves off for everything when the file is broken from the start', async () => {
    writeFileSync(file, 'not json');
    const e = await evaluator();
    expect(e.lastLoadError()).toMatch(/not valid JSON/);
    expect(await e.evaluate(AI_SEARCH_FLAG, 'user-1', 'internal-users')).toMatchObject({
      value: false,
      errorCode: 'FLAG_NOT_FOUND',
    });
  });

  it('serves the bootstrap values until the file exists, then the file', async () => {
    const e = await createFlagEvaluator({
      path: file,
      bootstrap: { ...bootstrap, aiSearchEnabled: true, rolloutPercentage: 100 },
      logger: logger(),
      pollMs: 60_000,
    });
    open.push(e);
    expect(await on(e)).toBe(true);
    expect(e.lastLoadError()).toBeUndefined();
    write(ALL_OFF);
    await vi.waitFor(async () => expect(await on(e)).toBe(false), WAIT);
  });

  it('answers an unknown flag with the safe default, off', async () => {
    write(ALL_ON);
    const e = await evaluator();
    expect(await e.evaluate('no-such-flag', 'user-1', 'public')).toMatchObject({
      value: false,
      errorCode: 'FLAG_NOT_FOUND',
    });
  });

  it('lets several evaluators on different files live in one process', async () => {
    const other = path.join(dir, 'other.json');
    write(ALL_ON);
    write(ALL_OFF, other);
    const a = await evaluator();
    const b = await evaluator(other);
    expect([await on(a), await on(b)]).toEqual([true, false]);
  });
});
