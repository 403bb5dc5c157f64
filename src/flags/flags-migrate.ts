// `canary flags migrate --to postgres://… | --to FILE`: copies every flag and the whole audit log
// from the store in use to another one, either way. The target must be empty (no flag file and no
// audit log, or a database without flags), so a migration never overwrites anything; the source is
// left as it was, and the target is read back and compared before the command says it is done.
// Changes made to the source while it runs are not carried over: stop writers (the daemon) first.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { auditPathFor } from './audit-log.js';
import type { Context } from './flags-command.js';
import { openStore } from './open-flag-store.js';
import { UsageError } from '../shared/usage-error.js';
import { renderFlagFile, type FlagSpecs } from './flag-file.js';
import { lastGoodPathFor } from './flag-file-state.js';
import { describeLocation, type FlagsLocation } from './flags-url.js';
import { createPgFlagStore } from './postgres/pg-flag-store.js';
import { sameSpec } from './rollout.js';
import type { AuditEntry, FlagStore } from './types.js';
import { fileKind, writeFileAtomic } from '../shared/no-follow-files.js';

type Target = Exclude<FlagsLocation, { kind: 'error' }>;

function sameLocation(a: FlagsLocation, b: FlagsLocation): boolean {
  if (a.kind === 'file' && b.kind === 'file') return path.resolve(a.path) === path.resolve(b.path);
  return a.kind === 'postgres' && b.kind === 'postgres' && a.url === b.url;
}

async function intoFile(file: string, specs: FlagSpecs, history: readonly AuditEntry[]) {
  const auditPath = auditPathFor(file);
  for (const p of [file, auditPath, lastGoodPathFor(file)])
    if ((await fileKind(p)) !== 'missing')
      throw new UsageError(
        `${p} already exists; refusing to overwrite it (migrate into a new path)`,
      );
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const text = renderFlagFile(specs);
  await writeFileAtomic(auditPath, history.map((e) => `${JSON.stringify(e)}\n`).join(''));
  await writeFileAtomic(lastGoodPathFor(file), text);
  await writeFileAtomic(file, text); // last: a file store appears only once it is whole
}

/** Reads the target back: the same flags, the same number of audit entries. */
async function verify(
  target: FlagStore,
  specs: FlagSpecs,
  history: readonly AuditEntry[],
): Promise<string | undefined> {
  const got = await target.list();
  const same =
    got.size === specs.size && [...specs].every(([k, s]) => got.has(k) && sameSpec(got.get(k)!, s));
  if (!same) return 'the flags read back from the target differ from the source';
  const n = (await target.history()).length;
  return n === history.length
    ? undefined
    : `the target holds ${n} audit entries, the source ${history.length}`;
}

export async function migrateFlags(ctx: Context, target: Target): Promise<number> {
  const to = describeLocation(target);
  if (sameLocation(ctx.location, target))
    throw new UsageError(`the flags are already in ${to}: give another --to`);
  const specs = await ctx.store.list();
  const history = await ctx.store.history();
  if (target.kind === 'postgres') {
    const pg = createPgFlagStore({
      url: target.url,
      bootstrap: ctx.config.bootstrap,
      logger: ctx.logger,
    });
    try {
      await pg.migrate();
      await pg.importAll(specs, history);
    } finally {
      await pg.close();
    }
  } else {
    await intoFile(target.path, specs, history);
  }
  const opened = await openStore(target, ctx.config, ctx.logger, { seed: false });
  let problem: string | undefined;
  try {
    problem = await verify(opened.store, specs, history);
  } finally {
    await opened.close();
  }
  if (problem) {
    ctx.io.err(`error: migrated to ${to}, but ${problem}: check it before switching over`);
    return 1;
  }
  const next =
    target.kind === 'postgres'
      ? `set FLAGS_URL to it on every replica and the daemon`
      : `unset FLAGS_URL and set FLAGS_FILE=${target.path}`;
  if (ctx.json)
    ctx.io.out(
      JSON.stringify(
        { from: ctx.store.path, to, flags: specs.size, auditEntries: history.length },
        null,
        2,
      ),
    );
  else
    ctx.io.out(
      `moved ${specs.size} flag(s) and ${history.length} audit entries from ${ctx.store.path} to ${to} (the source is unchanged); to switch over, ${next}`,
    );
  return 0;
}
