// `canary flags history` prints what the audit log holds, and the log holds what callers sent
// (the admin API accepts any actor and reason): control characters must reach the terminal as
// visible escapes, never as cursor moves, colours or forged lines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createFileFlagStore } from '../../src/flags/file-flag-store.js';
import { runFlagsCommand } from '../../src/flags/flags-command.js';
import { AI_SEARCH_FLAG } from '../../src/flags/types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'flags-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('flags history escapes ANSI sequences and newlines in actor and reason', async () => {
  const file = path.join(dir, 'flags.json');
  const store = createFileFlagStore({
    path: file,
    bootstrap: {
      aiSearchEnabled: false,
      rolloutPercentage: 0,
      internalUsers: true,
      betaUsers: false,
    },
    logger: pino({ level: 'silent' }),
  });
  const update = await store.update(
    { flag: AI_SEARCH_FLAG, value: true },
    {
      actor: 'mallory\x1b[2K\r',
      reason: 'ok\n2026-01-01T00:00:00.000Z  ai-search-enabled  by alice: forged\x1b[0m',
    },
  );
  expect(update.ok).toBe(true);
  const out: string[] = [];
  const code = await runFlagsCommand(
    { name: 'history' },
    { flagsFile: file },
    { out: (t) => out.push(t), err: () => {}, env: {}, cwd: dir },
  );
  expect(code).toBe(0);
  const text = out.join('\n');
  // eslint-disable-next-line no-control-regex -- the assertion is about control characters
  expect(text).not.toMatch(/[\x00-\x1f\x7f]/);
  expect(text.split('\n')).toHaveLength(1);
  expect(text).toContain('by mallory\\x1b[2K\\r:');
  expect(text).toContain(
    'reason: ok\\n2026-01-01T00:00:00.000Z  ai-search-enabled  by alice: forged\\x1b[0m',
  );
});
