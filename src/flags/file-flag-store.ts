// The flag store over one flagd-format file. Every write happens under the lock file: read the
// current file, apply the change, validate the result, write it to a temporary file in the same
// folder, fsync, rename over the old one, copy it to `<file>.last-good`, then append the audit
// entry. Readers never see a half written file, and concurrent writers (any process) never lose
// each other's updates.
//
// The kill switch always works: turning a flag off on a broken file (missing, empty, cut short,
// not JSON, not a valid flag file, a symlink) moves the broken file aside, takes the other flags
// from the last good copy (else the bootstrap variables), and writes a valid file with the flag
// off. Any other change to a broken file is refused, naming the problem: guessing the rest of a
// rollout is only safe in the direction of "off".
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../shared/config.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { fileKind, NotRegularFileError, writeFileAtomic } from '../shared/no-follow-files.js';
import { isKillSwitch, moveAside, refusal } from './broken-file-repair.js';
import { appendAudit, auditPathFor, readAudit } from './audit-log.js';
import { acquireLock, type HeldLock } from './file-lock.js';
import { FlagFileError, parseFlagFile, renderFlagFile, type FlagSpecs } from './flag-file.js';
import {
  bootstrapSpecs,
  FlagFileIoError,
  lastGoodPathFor,
  readFileState,
  readLastGood,
  type FileState,
} from './flag-file-state.js';
import {
  applyChange,
  describeSpec,
  FLAG_KEY,
  FLAG_KEY_RULE,
  OFF_SPEC,
  sameSpec,
  specFromBootstrap,
} from './rollout.js';
import type {
  AuditEntry,
  ChangeMeta,
  ConditionalFlagStore,
  FlagChange,
  FlagCondition,
  Recovery,
  RolloutSpec,
  UpdateResult,
} from './types.js';

export { bootstrapSpecs } from './flag-file-state.js';

export interface FileFlagStoreOptions {
  readonly path: string;
  readonly bootstrap: Config['bootstrap'];
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How long a writer waits for the lock before giving up; 15 s by default. */
  readonly lockTimeoutMs?: number;
  /** How long an unrefreshed lock stands before it is stale; 10 s by default. */
  readonly lockLeaseMs?: number;
}

export type EnsureResult = { ok: true; created: boolean } | { ok: false; error: string };

export interface FileFlagStore extends ConditionalFlagStore {
  /** Creates the file from the bootstrap variables when it does not exist. */
  ensureFlagFile(): Promise<EnsureResult>;
}

type Usable = Extract<FileState, { kind: 'ok' }>;
type Broken = Extract<FileState, { kind: 'broken' }>;
type Failure = { ok: false; error: string; code: 'corrupt' | 'locked' | 'io' };

/** The holder stalled past its lease and another writer took the lock: nothing was written. */
class LockLostError extends Error {}

function ioMessage(what: string, file: string, err: unknown): string {
  const e = (err instanceof FlagFileIoError ? err.cause : err) as NodeJS.ErrnoException;
  const hint =
    e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS'
      ? `check the owner and mode of ${path.dirname(file)}, or point FLAGS_FILE elsewhere`
      : 'check the path and the disk';
  return `cannot ${what} ${file} (${e.code ?? e.message}): ${hint}`;
}

/** Readers (list, get, the daemon's read-back) take a broken file as an error, never a guess. */
async function readUsable(file: string, bootstrap: Config['bootstrap']): Promise<Usable> {
  const state = await readFileState(file, bootstrap).catch((err: unknown) => {
    throw new FlagFileError(ioMessage('read', file, err));
  });
  if (state.kind === 'broken') throw new FlagFileError(state.problem);
  return state;
}

export function createFileFlagStore(opts: FileFlagStoreOptions): FileFlagStore {
  const file = path.resolve(opts.path);
  const auditPath = auditPathFor(file);
  const lastGoodPath = lastGoodPathFor(file);
  const clock = opts.clock ?? systemClock;
  const log = opts.logger;

  /** Runs `fn` with the lock held; lock and I/O failures become results, never throws. */
  async function locked<T>(fn: (lock: HeldLock) => Promise<T>): Promise<T | Failure> {
    try {
      await mkdir(path.dirname(file), { recursive: true });
    } catch (err) {
      return { ok: false, code: 'io', error: ioMessage('create the folder of', file, err) };
    }
    const lock = await acquireLock({
      lockPath: `${file}.lock`,
      target: file,
      timeoutMs: opts.lockTimeoutMs ?? 15_000,
      clock,
      logger: log,
      ...(opts.lockLeaseMs ? { leaseMs: opts.lockLeaseMs } : {}),
    });
    if (!lock.ok) return lock;
    try {
      return await fn(lock);
    } catch (err) {
      if (err instanceof LockLostError) return { ok: false, code: 'locked', error: err.message };
      if (err instanceof FlagFileIoError)
        return { ok: false, code: 'io', error: ioMessage('read', file, err) };
      return { ok: false, code: 'io', error: ioMessage('write', file, err) };
    } finally {
      await lock.release();
    }
  }

  /** Renders, re-validates, writes atomically (only while the lock is still ours), keeps a copy. */
  async function write(specs: FlagSpecs, lock: HeldLock): Promise<void> {
    const text = renderFlagFile(specs);
    const check = parseFlagFile(text, file);
    if (!check.ok) throw new Error(`refusing to write an invalid flag file: ${check.error}`);
    await writeFileAtomic(file, text, {
      beforeRename: async () => {
        if (!(await lock.stillHeld()))
          throw new LockLostError(
            `lost the lock on ${file} while writing (this writer stalled past its lease and another took over); nothing was written: try again`,
          );
      },
    });
    await keepLastGood(text);
  }

  /** The copy a kill switch falls back on; a failure here must not fail the change itself. */
  async function keepLastGood(text: string): Promise<void> {
    await writeFileAtomic(lastGoodPath, text).catch((err: unknown) =>
      log.warn({ err, lastGoodPath }, `could not refresh the last good copy ${lastGoodPath}`),
    );
  }

  async function audit(entry: AuditEntry): Promise<void> {
    try {
      await appendAudit(auditPath, entry);
    } catch (err) {
      // The change itself is on disk; reporting the update as failed would be worse than a gap.
      log.error(
        { err, auditPath, entry },
        `flag changed but the audit log could not be appended: ${err instanceof NotRegularFileError ? err.message : ioMessage('append to', auditPath, err)}`,
      );
    }
  }

  function entryFor(
    flag: string,
    meta: ChangeMeta,
    before: RolloutSpec | null,
    after: RolloutSpec,
    recovery?: Recovery,
  ): AuditEntry {
    return {
      time: new Date(clock.now()).toISOString(),
      actor: meta.actor,
      reason: meta.reason,
      flag,
      before,
      after,
      ...(meta.context ? { context: meta.context } : {}),
      ...(recovery ? { recovery } : {}),
    };
  }

  /** The kill switch on a broken file: aside, rebuild from the last good copy, flag off, audit. */
  async function recover(
    state: Broken,
    change: FlagChange,
    meta: ChangeMeta,
    lock: HeldLock,
  ): Promise<UpdateResult> {
    const lastGood = await readLastGood(file);
    const base = lastGood ?? bootstrapSpecs(opts.bootstrap);
    const before = base.get(change.flag) ?? null;
    const applied = applyChange(before ?? OFF_SPEC, change);
    if (!applied.ok) return { ok: false, code: 'invalid-change', error: applied.error };
    const movedTo = state.broken === 'missing' ? null : await moveAside(file, clock.now());
    await write(new Map(base).set(change.flag, applied.spec), lock);
    const recovery: Recovery = {
      kind: state.broken,
      problem: state.problem,
      movedTo,
      base: lastGood ? 'last-good' : 'bootstrap',
    };
    await audit(entryFor(change.flag, meta, before, applied.spec, recovery));
    log.error(
      { flag: change.flag, actor: meta.actor, reason: meta.reason, recovery },
      `flag ${change.flag} turned off by ${meta.actor} over a broken flag file (${state.problem})` +
        `${movedTo ? `; the broken file is now ${movedTo}` : ''}; other flags taken from ` +
        `${lastGood ? lastGoodPath : 'the bootstrap variables'}: check them with canary flags list`,
    );
    return { ok: true, changed: true, before, after: applied.spec, recovery };
  }

  async function applyLocked(
    change: FlagChange,
    meta: ChangeMeta,
    lock: HeldLock,
    when?: FlagCondition,
  ): Promise<UpdateResult> {
    const state = await readFileState(file, opts.bootstrap);
    // Checked under the lock, so the check and the write are one step for every writer. A broken
    // file has no state to compare; a kill switch then goes ahead (off is the safe guess).
    if (when && state.kind === 'ok') {
      const now = state.specs.get(change.flag);
      if ((now?.enabled ?? false) !== when.enabled)
        return {
          ok: true,
          changed: false,
          before: now ?? null,
          after: now ?? OFF_SPEC,
          unmet: `${change.flag} is ${now ? describeSpec(now) : 'not defined'}, not ${when.enabled ? 'on' : 'off'}: nothing to do`,
        };
    }
    if (!isKillSwitch(change)) {
      // Every change but the kill switch needs its audit entry to land; checked before writing.
      const auditKind = await fileKind(auditPath);
      if (auditKind === 'symlink' || auditKind === 'not-a-file')
        return {
          ok: false,
          code: 'io',
          error: `${new NotRegularFileError(auditPath, auditKind).message}: nothing was written. Replace it with a regular file (the kill switch, --value=false, still works and logs its audit entry instead)`,
        };
    }
    if (state.kind === 'broken')
      return isKillSwitch(change) ? recover(state, change, meta, lock) : refusal(file, state);
    const before = state.specs.get(change.flag);
    if (before === undefined && !change.create) {
      const known = [...state.specs.keys()].join(', ') || 'none';
      return {
        ok: false,
        code: 'unknown-flag',
        error: `unknown flag "${change.flag}" in ${file} (known: ${known}); to define a new flag, pass --create`,
      };
    }
    const applied = applyChange(before ?? OFF_SPEC, change);
    if (!applied.ok) return { ok: false, code: 'invalid-change', error: applied.error };
    const after = applied.spec;
    const changed = before === undefined || !sameSpec(before, after);
    if (changed || !state.exists) await write(new Map(state.specs).set(change.flag, after), lock);
    if (!changed) {
      // A valid file someone edited by hand becomes the last good copy here at the latest.
      if (state.text !== undefined) await keepLastGood(state.text);
      log.info(
        { flag: change.flag, actor: meta.actor },
        `flag ${change.flag} already ${describeSpec(after)}; nothing to change`,
      );
      return { ok: true, changed: false, before: before ?? null, after };
    }
    await audit(entryFor(change.flag, meta, before ?? null, after));
    log.info(
      { flag: change.flag, actor: meta.actor, reason: meta.reason },
      `flag ${change.flag} changed by ${meta.actor}: ${before ? describeSpec(before) : 'new'} -> ${describeSpec(after)}`,
    );
    return { ok: true, changed: true, before: before ?? null, after };
  }

  /** Refuses a bad name or a missing actor, then applies the change under the lock. */
  async function checked(
    change: FlagChange,
    meta: ChangeMeta,
    when?: FlagCondition,
  ): Promise<UpdateResult> {
    if (!FLAG_KEY.test(change.flag)) {
      return {
        ok: false,
        code: 'invalid-change',
        error: `flag name "${change.flag}" is not valid: ${FLAG_KEY_RULE}`,
      };
    }
    if (meta.actor.trim() === '') {
      return {
        ok: false,
        code: 'invalid-change',
        error: 'an actor is required: who makes this change?',
      };
    }
    return locked((lock) => applyLocked(change, meta, lock, when));
  }

  return {
    path: file,
    async getRollout(flag) {
      return (await readUsable(file, opts.bootstrap)).specs.get(flag);
    },
    async list() {
      return (await readUsable(file, opts.bootstrap)).specs;
    },
    update: (change, meta) => checked(change, meta),
    updateIf: (change, meta, when) => checked(change, meta, when),
    async history(options) {
      const read = await readAudit(auditPath, options);
      if (read.skipped > 0)
        log.warn(
          { auditPath, skipped: read.skipped },
          `${read.skipped} line(s) of ${auditPath} are not audit entries and were skipped`,
        );
      return read.entries;
    },
    async ensureFlagFile() {
      const result = await locked(async (lock) => {
        const state = await readFileState(file, opts.bootstrap);
        if (state.kind === 'broken' || state.exists) return { ok: true as const, created: false };
        await write(state.specs, lock);
        log.info(
          { file, spec: describeSpec(specFromBootstrap(opts.bootstrap)) },
          `created ${file} from the bootstrap variables`,
        );
        return { ok: true as const, created: true };
      });
      return result.ok ? result : { ok: false, error: result.error };
    },
  };
}
