// The flag-file lock's lease: a lock nobody refreshes is stale whatever pid it names (pids are
// reused: the app is pid 1 in its container), and a holder that keeps refreshing is waited for.
import { existsSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/shared/clock.js';
import { acquireLock, type LockOptions } from '../../src/flags/file-lock.js';
import type { FileFlagStoreOptions } from '../../src/flags/file-flag-store.js';
import { AI_SEARCH_FLAG } from '../../src/flags/types.js';
import { silentLogger, storeIn, useFlagFolder } from '../fixtures/flag-folder.js';

const meta = { actor: 'alice', reason: 'test' };
const folder = useFlagFolder('flags-lock');
const lockPath = () => `${folder.file}.lock`;

const store = (extra: Partial<FileFlagStoreOptions> = {}) => storeIn(folder, extra);
const lock = (extra: Partial<LockOptions> = {}) =>
  acquireLock({
    lockPath: lockPath(),
    target: folder.file,
    timeoutMs: 1_000,
    clock: systemClock,
    logger: silentLogger,
    ...extra,
  });

function plantLock(ageMs: number, content: string): void {
  writeFileSync(lockPath(), content);
  const then = new Date(Date.now() - ageMs);
  utimesSync(lockPath(), then, then);
}

const TWO_HOURS = 2 * 3600_000;

describe('flag-file lock lease', () => {
  it.each([
    [
      'this format, "held" by pid 1 on this host',
      JSON.stringify({ pid: 1, host: 'localhost', time: 'then', token: 't' }),
    ],
    ['an empty file (a holder that died before writing)', ''],
    ['garbage', 'not json'],
  ])(
    'a two-hour-old lock (%s) is taken over at once: the update succeeds without waiting',
    async (_, content) => {
      plantLock(TWO_HOURS, content);
      // "At once" counted in the lock's own waits, not in wall time (a loaded machine stretches
      // that): any wait for the lock goes through the clock's sleep.
      const waits: number[] = [];
      const clock = {
        ...systemClock,
        sleep: (ms: number, signal?: AbortSignal) => {
          waits.push(ms);
          return systemClock.sleep(ms, signal);
        },
      };
      const r = await store({ clock, lockTimeoutMs: 60_000 }).update(
        { flag: AI_SEARCH_FLAG, value: false },
        meta,
      );
      expect(waits).toEqual([]);
      expect(r).toMatchObject({ ok: true });
      expect(existsSync(lockPath())).toBe(false);
    },
  );

  it('a fresh lock is waited for even when the pid it names is not running', async () => {
    plantLock(0, JSON.stringify({ pid: 2 ** 22 + 7, host: 'elsewhere', time: 'now', token: 't' }));
    const r = await store({ lockTimeoutMs: 300 }).update(
      { flag: AI_SEARCH_FLAG, value: false },
      meta,
    );
    expect(r).toMatchObject({ ok: false, code: 'locked' });
    expect(!r.ok && r.error).toMatch(/locked by process 4194311 on elsewhere/);
    expect(existsSync(lockPath())).toBe(true);
    expect(existsSync(folder.file)).toBe(false);
  });

  it('a live holder that keeps refreshing its lease is waited for, not broken, however long it holds', async () => {
    const leaseMs = 1_500;
    const holder = await lock({ leaseMs });
    expect(holder.ok).toBe(true);
    if (!holder.ok) return;
    const created = statSync(lockPath()).mtimeMs;
    let waiterDone = false;
    const waiter = store({ lockTimeoutMs: 60_000, lockLeaseMs: leaseMs })
      .update({ flag: AI_SEARCH_FLAG, value: true }, meta)
      .finally(() => (waiterDone = true));
    // Hold for three leases: the scenario itself, not a guess at how long something takes.
    await systemClock.sleep(3 * leaseMs);
    expect(waiterDone).toBe(false);
    expect(await holder.stillHeld()).toBe(true);
    expect(statSync(lockPath()).mtimeMs).toBeGreaterThan(created); // the heartbeat ran
    await holder.release();
    expect(await waiter).toMatchObject({ ok: true, changed: true });
  });

  it('a holder whose lock was replaced knows it no longer holds it, and leaves the new lock alone', async () => {
    const holder = await lock();
    if (!holder.ok) throw new Error(holder.error);
    unlinkSync(lockPath()); // as a takeover after a stall past the lease would
    writeFileSync(lockPath(), 'someone else');
    expect(await holder.stillHeld()).toBe(false);
    await holder.release();
    expect(existsSync(lockPath())).toBe(true);
  });
});
