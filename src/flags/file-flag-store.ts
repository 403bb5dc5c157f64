// The flag store over one flagd-format file. Every write happens under the lock file: read the
// current file, apply the change, validate the result, write it to a temporary file in the same
// folder, fsync, rename over the old one, then append the audit entry. Readers never see a half
// written file, and concurrent writers (any process) never lose each other's updates.
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../shared/config.js';
import { systemClock, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { appendAudit, auditPathFor, readAudit } from './audit-log.js';
import { acquireLock } from './file-lock.js';
import { FlagFileError, parseFlagFile, renderFlagFile, type FlagSpecs } from './flag-file.js';
import {
  applyChange,
  describeSpec,
  FLAG_KEY,
  FLAG_KEY_RULE,
  OFF_SPEC,
  sameSpec,
  specFromBootstrap,
} from './rollout.js';
import {
  AI_SEARCH_FLAG,
  type AuditEntry,
  type ChangeMeta,
  type FlagChange,
  type FlagStore,
  type RolloutSpec,
  type UpdateResult,
} from './types.js';

export interface FileFlagStoreOptions {
  readonly path: string;
  readonly bootstrap: Config['bootstrap'];
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How long a writer waits for the lock before giving up; 15 s by default. */
  readonly lockTimeoutMs?: number;
}

export type EnsureResult = { ok: true; created: boolean } | { ok: false; error: string };

export interface FileFlagStore extends FlagStore {
  /** Creates the file from the bootstrap variables when it does not exist. */
  ensureFlagFile(): Promise<EnsureResult>;
}

type Current = { exists: boolean; specs: FlagSpecs };
type Failure = { ok: false; error: string; code: 'corrupt' | 'locked' | 'io' };

/** What an absent file means everywhere: the guide's bootstrap variables for the AI search flag. */
export function bootstrapSpecs(bootstrap: Config['bootstrap']): FlagSpecs {
  return new Map([[AI_SEARCH_FLAG, specFromBootstrap(bootstrap)]]);
}

function ioMessage(what: string, file: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const hint =
    e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS'
      ? `check the owner and mode of ${path.dirname(file)}, or point FLAGS_FILE elsewhere`
      : 'check the path and the disk';
  return `cannot ${what} ${file} (${e.code ?? e.message}): ${hint}`;
}

async function readCurrent(file: string, bootstrap: Config['bootstrap']): Promise<Current> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { exists: false, specs: bootstrapSpecs(bootstrap) };
    }
    throw new FlagFileError(ioMessage('read', file, err));
  }
  const parsed = parseFlagFile(text, file);
  if (!parsed.ok) throw new FlagFileError(parsed.error);
  return { exists: true, specs: parsed.flags };
}

/** Temp file in the same folder (so rename is atomic), fsynced, renamed, and the folder fsynced. */
export async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`,
  );
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const dir = await open(path.dirname(file), 'r').catch(() => undefined);
  await dir?.sync().catch(() => undefined);
  await dir?.close();
}

export function createFileFlagStore(opts: FileFlagStoreOptions): FileFlagStore {
  const file = path.resolve(opts.path);
  const auditPath = auditPathFor(file);
  const clock = opts.clock ?? systemClock;
  const log = opts.logger;

  /** Runs `fn` with the lock held; lock and I/O failures become results, never throws. */
  async function locked<T>(fn: () => Promise<T>): Promise<T | Failure> {
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
    });
    if (!lock.ok) return lock;
    try {
      return await fn();
    } catch (err) {
      if (err instanceof FlagFileError) {
        return {
          ok: false,
          code: 'corrupt',
          error: `${err.message}. Nothing was written: fix the file (canary flags validate shows the problem) and try again`,
        };
      }
      return { ok: false, code: 'io', error: ioMessage('write', file, err) };
    } finally {
      await lock.release();
    }
  }

  async function write(current: Current, flag: string, after: RolloutSpec): Promise<void> {
    const next = new Map(current.specs).set(flag, after);
    const text = renderFlagFile(next);
    const check = parseFlagFile(text, file);
    if (!check.ok) throw new Error(`refusing to write an invalid flag file: ${check.error}`);
    await writeAtomic(file, text);
  }

  async function audit(entry: AuditEntry): Promise<void> {
    try {
      await appendAudit(auditPath, entry);
    } catch (err) {
      // The change itself is on disk; reporting the update as failed would be worse than a gap.
      log.error(
        { err, auditPath, entry },
        `flag changed but the audit log could not be appended: ${ioMessage('append to', auditPath, err)}`,
      );
    }
  }

  async function applyLocked(change: FlagChange, meta: ChangeMeta): Promise<UpdateResult> {
    const current = await readCurrent(file, opts.bootstrap);
    const before = current.specs.get(change.flag);
    if (before === undefined && !change.create) {
      const known = [...current.specs.keys()].join(', ') || 'none';
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
    if (changed || !current.exists) await write(current, change.flag, after);
    if (!changed) {
      log.info(
        { flag: change.flag, actor: meta.actor },
        `flag ${change.flag} already ${describeSpec(after)}; nothing to change`,
      );
      return { ok: true, changed: false, before: before ?? null, after };
    }
    const entry: AuditEntry = {
      time: new Date(clock.now()).toISOString(),
      actor: meta.actor,
      reason: meta.reason,
      flag: change.flag,
      before: before ?? null,
      after,
      ...(meta.context ? { context: meta.context } : {}),
    };
    await audit(entry);
    log.info(
      { flag: change.flag, actor: meta.actor, reason: meta.reason },
      `flag ${change.flag} changed by ${meta.actor}: ${before ? describeSpec(before) : 'new'} -> ${describeSpec(after)}`,
    );
    return { ok: true, changed: true, before: before ?? null, after };
  }

  return {
    path: file,
    async getRollout(flag) {
      return (await readCurrent(file, opts.bootstrap)).specs.get(flag);
    },
    async list() {
      return (await readCurrent(file, opts.bootstrap)).specs;
    },
    async update(change, meta) {
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
      return locked(() => applyLocked(change, meta));
    },
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
      const result = await locked(async () => {
        const current = await readCurrent(file, opts.bootstrap);
        if (current.exists) return { ok: true as const, created: false };
        await writeAtomic(file, renderFlagFile(current.specs));
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

/** Creates the flag file from the bootstrap variables when absent (the service calls this at start-up). */
export function ensureFlagFile(opts: FileFlagStoreOptions): Promise<EnsureResult> {
  return createFileFlagStore(opts).ensureFlagFile();
}
