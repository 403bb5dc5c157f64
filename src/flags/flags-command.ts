// What `canary flags list|get|update|history|validate|migrate` do; src/cli/commands/flags.ts only
// parses options. Every command works on either store: the flag file, or PostgreSQL when
// --flags-url or FLAGS_URL names one (--flags-file wins over FLAGS_URL). Exit codes: 0 done, 1 the
// store failed (locked, corrupt, unwritable, unreachable), 2 bad input.
import { pino } from 'pino';
import { ConfigError, loadConfig, secretValues, type Config } from '../shared/config.js';
import { envWithFiles } from '../shared/env-files.js';
import { parseInteger } from '../shared/env-parse.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { UsageError } from '../shared/usage-error.js';
import { mergeNpmConfig, parseUpdate, type RawUpdateOptions } from './cli-input.js';
import { type FlagSpecs } from './flag-file.js';
import { readFileState } from './flag-file-state.js';
import { locationOf, urlPassword, type FlagsLocation } from './flags-url.js';
import { openStore } from './open-flag-store.js';
import { escapeControl } from '../shared/escape-control.js';
import { describeSpec, effectiveRollout } from './rollout.js';
import { SEGMENTS, type AuditEntry, type FlagStore, type RolloutSpec } from './types.js';

export interface CommonOptions {
  readonly flagsFile?: string;
  readonly flagsUrl?: string;
  readonly env?: string;
  readonly json?: boolean;
}

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export const processIo: CliIo = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
  env: process.env,
  cwd: process.cwd(),
};

export interface Context {
  readonly config: Config;
  readonly location: FlagsLocation;
  readonly store: FlagStore;
  readonly io: CliIo;
  readonly json: boolean;
  readonly logger: Logger;
  /** Releases the store's connections (PostgreSQL); the file needs nothing. */
  readonly close: () => Promise<void>;
}

/** --flags-url, else --flags-file, else FLAGS_URL, else FLAGS_FILE. */
function locate(common: CommonOptions, config: Config): FlagsLocation {
  if (common.flagsUrl !== undefined && common.flagsFile !== undefined)
    throw new UsageError('give --flags-url or --flags-file, not both');
  if (common.flagsUrl !== undefined) {
    const loc = locationOf(common.flagsUrl);
    if (loc.kind !== 'postgres')
      throw new UsageError(
        loc.kind === 'error' ? loc.error : `--flags-url needs a postgres:// URL, not a file path`,
      );
    return loc;
  }
  if (common.flagsFile !== undefined) return { kind: 'file', path: common.flagsFile };
  if (config.flagsUrl) return { kind: 'postgres', url: config.flagsUrl };
  return { kind: 'file', path: config.flagsFile };
}

async function setUp(common: CommonOptions, io: CliIo, extraSecrets: string[] = []) {
  let config: Config;
  try {
    config = loadConfig(envWithFiles(common.env, io.cwd, { ...io.env }), io.cwd);
  } catch (err) {
    throw new UsageError(err instanceof ConfigError ? err.message : (err as Error).message);
  }
  const location = locate(common, config);
  const verbose = config.logLevel === 'debug' || config.logLevel === 'trace';
  // Logs go to stderr so `--json` output stays clean; the CLI reports results itself.
  const passwords = [common.flagsUrl, ...extraSecrets].map((u) => u && urlPassword(u));
  const logger: Logger = createLogger({
    name: 'canary-flags',
    level: verbose ? config.logLevel : 'warn',
    secrets: [...secretValues(config), ...passwords.filter((p): p is string => !!p)],
    destination: pino.destination({ dest: 2, sync: true }),
  });
  return { config, location, logger };
}

async function openContext(common: CommonOptions, io: CliIo, extraSecrets: string[] = []) {
  const { config, location, logger } = await setUp(common, io, extraSecrets);
  const { store, close } = await openStore(location, config, logger);
  return { config, location, store, io, json: common.json ?? false, logger, close };
}

function served(spec: RolloutSpec): string {
  const e = effectiveRollout(spec);
  return [...SEGMENTS.map((s) => `${s} ${e[s]}%`), `public ${e.public}%`].join(', ');
}

function specJson(spec: RolloutSpec): object {
  return { ...spec, served: effectiveRollout(spec) };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function listText(specs: FlagSpecs): string {
  const head = ['FLAG', 'STATE', ...SEGMENTS.map((s) => s.toUpperCase()), 'PUBLIC'];
  const rows = [...specs].map(([key, spec]) => {
    const e = effectiveRollout(spec);
    const state = spec.enabled ? 'on' : 'off (kill switch)';
    return [key, state, ...SEGMENTS.map((s) => `${e[s]}%`), `${e.public}%`];
  });
  return `${table([head, ...rows])}\n(percentages are the share of each segment served "on")`;
}

async function list(ctx: Context): Promise<number> {
  const specs = await ctx.store.list();
  if (ctx.json)
    ctx.io.out(
      JSON.stringify(Object.fromEntries([...specs].map(([k, s]) => [k, specJson(s)])), null, 2),
    );
  else ctx.io.out(`${ctx.store.path}\n${listText(specs)}`);
  return 0;
}

async function get(ctx: Context, flag: string): Promise<number> {
  const spec = await ctx.store.getRollout(flag);
  if (!spec) {
    const known = [...(await ctx.store.list()).keys()].join(', ');
    throw new UsageError(`unknown flag "${flag}" in ${ctx.store.path} (known: ${known})`);
  }
  if (ctx.json) ctx.io.out(JSON.stringify({ flag, ...specJson(spec) }, null, 2));
  else ctx.io.out(`${flag}: ${describeSpec(spec)}\nserved: ${served(spec)}`);
  return 0;
}

async function update(ctx: Context, raw: RawUpdateOptions, positional?: string): Promise<number> {
  const { change, meta } = parseUpdate(mergeNpmConfig(raw, positional, ctx.io.env), ctx.io.env);
  const result = await ctx.store.update(change, meta);
  if (!result.ok) {
    const bad = result.code === 'unknown-flag' || result.code === 'invalid-change';
    if (ctx.json) ctx.io.out(JSON.stringify(result, null, 2));
    ctx.io.err(`error: ${result.error}`);
    return bad ? 2 : 1;
  }
  if (ctx.json) {
    ctx.io.out(
      JSON.stringify(
        { ...result, file: ctx.store.path, served: effectiveRollout(result.after) },
        null,
        2,
      ),
    );
  } else if (!result.changed) {
    ctx.io.out(`${change.flag} is already ${describeSpec(result.after)}: nothing changed`);
  } else {
    const before = result.before ? describeSpec(result.before) : '(new flag)';
    ctx.io.out(
      `${change.flag} updated in ${ctx.store.path} by ${meta.actor}\n  before: ${before}\n  after:  ${describeSpec(result.after)}\n  served: ${served(result.after)}`,
    );
  }
  if (result.recovery) {
    const r = result.recovery;
    ctx.io.err(
      `warning: the flag file was broken (${r.problem}); ${r.movedTo ? `it is kept as ${r.movedTo}, ` : ''}` +
        `a valid file was written with ${change.flag} off, and the other flags come from ` +
        `${r.base === 'last-good' ? 'the last good copy' : 'the bootstrap variables'}: check them with canary flags list`,
    );
  }
  return 0;
}

/** Every string comes from the audit file, which anyone with the API token shapes: escaped. */
function historyLine(e: AuditEntry): string {
  const before = e.before ? describeSpec(e.before) : '(new flag)';
  const recovered = e.recovery
    ? `  [kill switch over a broken file (${e.recovery.kind}); moved to ${e.recovery.movedTo ?? '-'}; others from ${e.recovery.base}]`
    : '';
  return escapeControl(
    `${e.time}  ${e.flag}  by ${e.actor}: ${before} -> ${describeSpec(e.after)}  reason: ${e.reason}${recovered}`,
  );
}

async function history(ctx: Context, flag?: string, limit?: string): Promise<number> {
  const parsed = limit === undefined ? undefined : parseInteger(limit, 1, Infinity);
  if (parsed !== undefined && !parsed.ok) {
    throw new UsageError(
      `--limit ${JSON.stringify(limit)} is not valid: expected ${parsed.expected}`,
    );
  }
  const n = parsed?.value;
  const entries = await ctx.store.history({
    ...(flag ? { flag } : {}),
    ...(n ? { limit: n } : {}),
  });
  if (ctx.json) ctx.io.out(JSON.stringify(entries, null, 2));
  else ctx.io.out(entries.length ? entries.map(historyLine).join('\n') : 'no changes recorded yet');
  return 0;
}

/** Every row's definition checked as a flag file's would be (list throws on the first bad one). */
async function validateStored(ctx: Context): Promise<number> {
  const where = ctx.store.path;
  let specs: FlagSpecs;
  try {
    specs = await ctx.store.list();
  } catch (err) {
    const error = (err as Error).message;
    if (ctx.json) ctx.io.out(JSON.stringify({ ok: false, store: where, error }, null, 2));
    ctx.io.err(`invalid: ${error}`);
    return 1;
  }
  if (ctx.json) {
    const flags = Object.fromEntries([...specs].map(([k, s]) => [k, specJson(s)]));
    ctx.io.out(JSON.stringify({ ok: true, store: where, flags }, null, 2));
  } else
    ctx.io.out(
      `${where} is valid (flagd format, targeting matches metadata)\neffective rollout:\n${listText(specs)}`,
    );
  return 0;
}

async function validate(ctx: Context): Promise<number> {
  if (ctx.location.kind === 'postgres') return validateStored(ctx);
  const file = ctx.store.path;
  const state = await readFileState(file, ctx.config.bootstrap);
  if (state.kind === 'broken') {
    if (ctx.json)
      ctx.io.out(
        JSON.stringify({ ok: false, file, kind: state.broken, error: state.problem }, null, 2),
      );
    ctx.io.err(`invalid: ${state.problem}`);
    return 1;
  }
  if (ctx.json) {
    const flags = Object.fromEntries([...state.specs].map(([k, s]) => [k, specJson(s)]));
    ctx.io.out(JSON.stringify({ ok: true, file, exists: state.exists, flags }, null, 2));
    return 0;
  }
  const note = state.exists
    ? `${file} is valid (flagd format, targeting matches metadata)`
    : `${file} does not exist yet; it will be created from the bootstrap variables (shown below) on first use`;
  ctx.io.out(`${note}\neffective rollout:\n${listText(state.specs)}`);
  return 0;
}

export type FlagsCommand =
  | { readonly name: 'list' }
  | { readonly name: 'get'; readonly flag: string }
  | {
      readonly name: 'update';
      readonly options: RawUpdateOptions;
      readonly positionalFlag?: string;
    }
  | { readonly name: 'history'; readonly flag?: string; readonly limit?: string }
  | { readonly name: 'validate' }
  | { readonly name: 'migrate'; readonly to?: string; readonly schemaOnly?: boolean };

/** `migrate --to T` moves flags and history; `migrate --schema-only` applies SQL migrations. */
async function migrate(
  command: Extract<FlagsCommand, { name: 'migrate' }>,
  common: CommonOptions,
  io: CliIo,
): Promise<number> {
  if (command.schemaOnly) {
    if (command.to !== undefined) throw new UsageError('give --to or --schema-only, not both');
    const { config, location, logger } = await setUp(common, io);
    if (location.kind !== 'postgres')
      throw new UsageError('--schema-only needs a PostgreSQL store: set FLAGS_URL or --flags-url');
    const { createPgFlagStore } = await import('./postgres/pg-flag-store.js');
    const store = createPgFlagStore({ url: location.url, bootstrap: config.bootstrap, logger });
    try {
      const report = await store.migrate();
      const applied = report.applied.map((m) => `${m.version} (${m.name})`).join(', ');
      io.out(
        `${store.path}: schema at version ${report.version}${applied ? `; applied ${applied}` : '; nothing to apply'}`,
      );
      return 0;
    } finally {
      await store.close();
    }
  }
  if (command.to === undefined)
    throw new UsageError('say where to: --to postgres://… or --to FILE (or --schema-only)');
  const target = locationOf(command.to);
  if (target.kind === 'error') throw new UsageError(target.error);
  const ctx = await openContext(common, io, [command.to]);
  try {
    const { migrateFlags } = await import('./flags-migrate.js');
    return await migrateFlags(ctx, target);
  } finally {
    await ctx.close();
  }
}

/** Runs one flags sub-command and returns its exit code; never throws. */
export async function runFlagsCommand(
  command: FlagsCommand,
  common: CommonOptions,
  io: CliIo = processIo,
): Promise<number> {
  try {
    if (command.name === 'migrate') return await migrate(command, common, io);
    const ctx = await openContext(common, io);
    try {
      switch (command.name) {
        case 'list':
          return await list(ctx);
        case 'get':
          return await get(ctx, command.flag);
        case 'update':
          return await update(ctx, command.options, command.positionalFlag);
        case 'history':
          return await history(ctx, command.flag, command.limit);
        case 'validate':
          return await validate(ctx);
      }
    } finally {
      await ctx.close();
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}`);
      return 2;
    }
    io.err(`error: ${(err as Error).message}`);
    return 1;
  }
}
