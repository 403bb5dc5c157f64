// An exclusive lock file shared by every writer of the flag file, other processes included.
// `open(..., 'wx')` either creates the file or fails, atomically; the holder writes its pid, host
// and start time inside, so a waiter can tell a crashed holder (dead pid) from a slow one and
// a person can see who holds it. Only a dead holder's lock is taken over; a live one is waited
// for, with backoff, up to a bound.
import { randomUUID } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';

export interface LockOptions {
  readonly lockPath: string;
  /** What the lock protects, for messages. */
  readonly target: string;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

export type LockResult =
  { ok: true; release: () => Promise<void> } | { ok: false; error: string; code: 'locked' | 'io' };

interface Holder {
  pid: number;
  host: string;
  time: string;
  token: string;
}

/** A holder that died between creating the file and writing it leaves it empty; after this, it is stale. */
const UNREADABLE_STALE_MS = 5_000;

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? (h as Holder) : undefined;
  } catch {
    return undefined;
  }
}

async function tryCreate(lockPath: string, content: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return true;
}

type Inspection = { stale: true; text: string } | { stale: false; holder?: Holder };

async function inspect(lockPath: string, now: number): Promise<Inspection> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch {
    return { stale: false }; // released meanwhile: retry at once
  }
  const holder = parseHolder(text);
  if (!holder) {
    const age = await stat(lockPath).then(
      (s) => now - s.mtimeMs,
      () => 0,
    );
    return age > UNREADABLE_STALE_MS ? { stale: true, text } : { stale: false };
  }
  const dead = holder.host === hostname() && !isPidAlive(holder.pid);
  return dead ? { stale: true, text } : { stale: false, holder };
}

/**
 * Removes a stale lock without racing another waiter doing the same: the rename moves exactly one
 * inode aside, and if it turns out to be a fresh lock (someone took over first), it is put back.
 */
async function takeOver(lockPath: string, staleText: string, logger: Logger): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  if (moved !== staleText) await link(aside, lockPath).catch(() => undefined);
  else
    logger.warn(
      { lockPath, stale: staleText },
      'took over a stale flag-file lock left by a dead process',
    );
  await unlink(aside).catch(() => undefined);
}

function lockedMessage(opts: LockOptions, holder: Holder | undefined): string {
  const who = holder
    ? `process ${holder.pid} on ${holder.host} (since ${holder.time})`
    : 'another process';
  return (
    `${opts.target} is locked by ${who}; gave up after ${opts.timeoutMs} ms. ` +
    `Another flag update is probably running: try again. If no canary process is running, ` +
    `remove ${opts.lockPath}.`
  );
}

async function release(opts: LockOptions, content: string): Promise<void> {
  const current = await readFile(opts.lockPath, 'utf8').catch(() => undefined);
  if (current === content) await unlink(opts.lockPath).catch(() => undefined);
  else opts.logger.warn({ lockPath: opts.lockPath }, 'flag-file lock was taken over while held');
}

export async function acquireLock(opts: LockOptions): Promise<LockResult> {
  // The clock's sleep may not hold the process open (systemClock unrefs its timer); a CLI waiting
  // for the lock must not exit mid-wait, so keep the event loop alive until we are done.
  const keepAlive = setInterval(() => {}, 60_000);
  try {
    return await waitForLock(opts);
  } finally {
    clearInterval(keepAlive);
  }
}

async function waitForLock(opts: LockOptions): Promise<LockResult> {
  const me: Holder = {
    pid: process.pid,
    host: hostname(),
    time: new Date(opts.clock.now()).toISOString(),
    token: randomUUID(),
  };
  const content = JSON.stringify(me);
  const start = opts.clock.now();
  let holder: Holder | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      if (await tryCreate(opts.lockPath, content)) {
        return { ok: true, release: () => release(opts, content) };
      }
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      return {
        ok: false,
        code: 'io',
        error: `cannot create the lock file ${opts.lockPath} (${e.code ?? e.message}): check that its directory exists and this user may write to it`,
      };
    }
    const seen = await inspect(opts.lockPath, opts.clock.now());
    if (seen.stale) {
      await takeOver(opts.lockPath, seen.text, opts.logger);
      continue;
    }
    holder = seen.holder ?? holder;
    const waited = opts.clock.now() - start;
    if (waited >= opts.timeoutMs)
      return { ok: false, code: 'locked', error: lockedMessage(opts, holder) };
    const backoff = Math.min(100, 5 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2);
    await opts.clock.sleep(Math.min(backoff, opts.timeoutMs - waited));
  }
}
