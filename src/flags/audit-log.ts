// The audit log: one JSON object per line beside the flag file, appended (under the flag lock)
// after each change is on disk. Append-only JSON lines survive a crash mid-write with at most one
// torn last line, which readers skip.
import { appendFileNoFollow, readFileNoFollow } from '../shared/no-follow-files.js';
import type { AuditEntry, ChangeMeta, Recovery, RolloutSpec } from './types.js';

/** One change as an audit entry, stamped with `now` (the store's clock); every store writes these. */
export function auditEntry(
  now: number,
  flag: string,
  meta: ChangeMeta,
  before: RolloutSpec | null,
  after: RolloutSpec,
  recovery?: Recovery,
): AuditEntry {
  return {
    time: new Date(now).toISOString(),
    actor: meta.actor,
    reason: meta.reason,
    flag,
    before,
    after,
    ...(meta.context ? { context: meta.context } : {}),
    ...(recovery ? { recovery } : {}),
  };
}

/** `data/flags.json` → `data/flags.audit.jsonl`. */
export function auditPathFor(flagsPath: string): string {
  return `${flagsPath.replace(/\.json$/i, '')}.audit.jsonl`;
}

/** Never through a symlink: a link planted at the log's path makes this throw NotRegularFileError. */
export async function appendAudit(auditPath: string, entry: AuditEntry): Promise<void> {
  await appendFileNoFollow(auditPath, `${JSON.stringify(entry)}\n`);
}

function isEntry(v: unknown): v is AuditEntry {
  const e = v as Partial<AuditEntry> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.time === 'string' &&
    typeof e.flag === 'string' &&
    typeof e.actor === 'string' &&
    typeof e.after === 'object'
  );
}

export interface AuditRead {
  readonly entries: AuditEntry[];
  /** Lines that are not audit entries (a torn write, a hand edit); reported, never fatal. */
  readonly skipped: number;
}

/** Oldest first; `limit` keeps the most recent entries. A missing log is an empty history. */
export async function readAudit(
  auditPath: string,
  options: { flag?: string; limit?: number } = {},
): Promise<AuditRead> {
  let text: string;
  try {
    text = await readFileNoFollow(auditPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], skipped: 0 };
    throw err;
  }
  let skipped = 0;
  const entries: AuditEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (!isEntry(parsed)) skipped++;
    else if (options.flag === undefined || parsed.flag === options.flag) entries.push(parsed);
  }
  const limited = options.limit !== undefined ? entries.slice(-options.limit) : entries;
  return { entries: limited, skipped };
}
