// An exclusive lock file shared by every writer of the flag file, other processes and other
// containers included. `open(…, 'wx')` either creates the file or fails, atomically. The holder
// keeps the file open and refreshes its mtime every LEASE/5 (its lease); a lock whose mtime is
// older than its lease is stale, whoever its pid says holds it. Pids are no evidence: they are
// reused after a restart (the app is pid 1 in its container) and mean nothing across the
// containers that share the data volume. The pid, host and start time inside are for people.
//
// Why not proper-lockfile: its stale takeover is rmdir + mkdir, so two waiters can both take the
// same stale lock (moxystudio/node-proper-lockfile#121, open), its default reaction to a lost lock
// throws from a timer and kills the process, and it is unmaintained since 2021. Here a stale lock
// is moved aside with one atomic rename (one waiter wins), re-checked, and put back if it was
// refreshed meanwhile; and the holder checks that the lock is still its own just before it
// commits (`stillHeld`), so a holder that stalled past its lease never commits over a new holder.
import { randomUUID } from 'node:crypto';
import { link, lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { readFileNoFollow } from '../shared/no-follow-files.js';

/** A holder that has not refreshed its lock for this long is gone. */
export const DEFAULT_LEASE_MS = 10_000;

export interface LockOptions {
  readonly lockPath: string;
  /** What the lock protects, for messages. */
  readonly target: string;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** 10 s by default; the holder refreshes every lease/5. */
  readonly leaseMs?: number;
}

export interface HeldLock {
  /** True while the lock file at the path is still the one this holder created. */
  stillHeld(): Promise<boolean>;
  release(): Promise<void>;
}

export type LockResult =
  ({ ok: true } & HeldLock) | { ok: false; error: string; code: 'locked' | 'io' };

interface Holder {
  pid: number;
  host: string;
  time: string;
  token: string;
}

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? (h as Holder) : undefined;
  } catch {
    return undefined;
  }
}

async function tryCreate(lockPath: string, content: string): Promise<FileHandle | undefined> {
  let handle;
  try {
    handle = await open(lockPath, 'wx'); // O_EXCL: never follows a link planted at the path
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  }
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await unlink(lockPath).catch(() => undefined);
    throw err;
  }
  return handle;
}

type Inspection = { stale: true; ino: number } | { stale: false; holder?: Holder };

/**
 * How long since the lock's holder last refreshed it. File mtimes are wall time, so this reads the
 * wall clock, not the injected Clock (which paces waiting only): a test's fake "now" must never
 * make a live holder's lock look stale.
 */
const ageOf = (mtimeMs: number) => Date.now() - mtimeMs;

async function inspect(lockPath: string, leaseMs: number): Promise<Inspection> {
  const seen = await lstat(lockPath).catch(() => undefined);
  if (!seen) return { stale: false }; // released meanwhile: retry at once
  if (ageOf(seen.mtimeMs) > leaseMs) return { stale: true, ino: seen.ino };
  const text = await readFileNoFollow(lockPath).catch(() => '');
  return { stale: false, holder: parseHolder(text) };
}

/**
 * Removes a stale lock without racing another waiter doing the same: the rename moves exactly one
 * inode aside; if that is not the stale inode, or it was refreshed meanwhile, it is put back.
 */
async function takeOver(
  lockPath: string,
  staleIno: number,
  o: LockOptions,
  leaseMs: number,
): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = await lstat(aside).catch(() => undefined);
  const stillStale =
    moved !== undefined && moved.ino === staleIno && ageOf(moved.mtimeMs) > leaseMs;
  if (!stillStale) {
    // A live holder's lock: put it back. If a new lock took the path meanwhile, that holder's
    // stillHeld() check fails before it commits, so two holders never both write.
    await link(aside, lockPath).catch(() => undefined);
  } else {
    const text = await readFileNoFollow(aside).catch(() => '');
    const ageS = Math.round(ageOf(moved.mtimeMs) / 1000);
    o.logger.warn(
      { lockPath, stale: text, ageS },
      `took over a stale flag-file lock: not refreshed for ${ageS} s (lease ${leaseMs / 1000} s)`,
    );
  }
  await unlink(aside).catch(() => undefined);
}

function lockedMessage(o: LockOptions, holder: Holder | undefined, leaseMs: number): string {
  const who = holder
    ? `process ${holder.pid} on ${holder.host} (since ${holder.time})`
    : 'another process';
  return (
    `${o.target} is locked by ${who}; gave up after ${o.timeoutMs} ms. ` +
    `Its holder is alive (it refreshed the lock within the last ${leaseMs / 1000} s): ` +
    `another flag update is probably running; try again. A lock nobody refreshes is taken ` +
    `over by itself after ${leaseMs / 1000} s, so ${o.lockPath} never needs removing by hand.`
  );
}

function hold(o: LockOptions, handle: FileHandle, leaseMs: number): HeldLock {
  let released = false;
  // The lease heartbeat: futimes on the open descriptor, so it follows the inode wherever a
  // waiter renames it, and a waiter that moved a live lock aside sees it fresh and puts it back.
  const beat = setInterval(() => {
    const now = new Date();
    void handle.utimes(now, now).catch(() => undefined);
  }, leaseMs / 5);
  beat.unref();
  const ours = async () => {
    const [mine, there] = await Promise.all([
      handle.stat(),
      lstat(o.lockPath).catch(() => undefined),
    ]);
    return there !== undefined && there.ino === mine.ino && there.dev === mine.dev;
  };
  return {
    stillHeld: () => (released ? Promise.resolve(false) : ours()),
    async release() {
      if (released) return;
      released = true;
      clearInterval(beat);
      if (await ours()) await unlink(o.lockPath).catch(() => undefined);
      else o.logger.warn({ lockPath: o.lockPath }, 'flag-file lock was taken over while held');
      await handle.close().catch(() => undefined);
    },
  };
}

export async function acquireLock(o: LockOptions): Promise<LockResult> {
  // The clock's sleep may not hold the process open (systemClock unrefs its timer); a CLI waiting
  // for the lock must not exit mid-wait, so keep the event loop alive until we are done.
  const keepAlive = setInterval(() => {}, 60_000);
  try {
    return await waitForLock(o, o.leaseMs ?? DEFAULT_LEASE_MS);
  } finally {
    clearInterval(keepAlive);
  }
}

async function waitForLock(o: LockOptions, leaseMs: number): Promise<LockResult> {
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    time: new Date(o.clock.now()).toISOString(),
    token: randomUUID(),
  };
  const content = JSON.stringify(me);
  const start = o.clock.now();
  let holder: Holder | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await tryCreate(o.lockPath, content);
      if (handle) return { ok: true, ...hold(o, handle, leaseMs) };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return {
        ok: false,
        code: 'io',
        error: `cannot create the lock file ${o.lockPath} (${e.code ?? e.message}): check that its directory exists and this user may write to it`,
      };
    }
    const seen = await inspect(o.lockPath, leaseMs);
    if (seen.stale) {
      await takeOver(o.lockPath, seen.ino, o, leaseMs);
      continue;
    }
    holder = seen.holder ?? holder;
    const waited = o.clock.now() - start;
    if (waited >= o.timeoutMs)
      return { ok: false, code: 'locked', error: lockedMessage(o, holder, leaseMs) };
    const backoff = Math.min(100, 5 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2);
    await o.clock.sleep(Math.min(backoff, o.timeoutMs - waited));
  }
}
