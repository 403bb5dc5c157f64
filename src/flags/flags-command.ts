// What `canary flags list|get|update|history|validate` do; src/cli/commands/flags.ts only parses
// options. Exit codes: 0 done, 1 the store failed (locked, corrupt, unwritable), 2 bad input.
import { pino } from 'pino';
import { ConfigError, loadConfig, secretValues, type Config } from '../shared/config.js';
import { envWithFiles } from '../shared/env-files.js';
import { parseInteger } from '../shared/env-parse.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { UsageError } from '../shared/usage-error.js';
import { mergeNpmConfig, parseUpdate, type RawUpdateOptions } from './cli-input.js';
import { createFileFlagStore, type FileFlagStore } from './file-flag-store.js';
import { type FlagSpecs } from './flag-file.js';
import { readFileState } from './flag-file-state.js';
import { escapeControl } from '../shared/escape-control.js';
import { describeSpec, effectiveRollout } from './rollout.js';
import { SEGMENTS, type AuditEntry, type RolloutSpec } from './types.js';

export interface CommonOptions {
  readonly flagsFile?: string;
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

interface Context {
  readonly config: Config;
  readonly store: FileFlagStore;
  readonly io: CliIo;
  readonly json: boolean;
}

function setUp(common: CommonOptions, io: CliIo): Context {
  let config: Config;
  try {
    config = loadConfig(envWithFiles(common.env, io.cwd, { ...io.env }), io.cwd);
  } catch (err) {
    throw new UsageError(err instanceof ConfigError ? err.message : (err as Error).message);
  }
  const verbose = config.logLevel === 'debug' || config.logLevel === 'trace';
  // Logs go to stderr so `--json` output stays clean; the CLI reports results itself.
  const logger: Logger = createLogger({
    name: 'canary-flags',
    level: verbose ? config.logLevel : 'warn',
    secrets: secretValues(config),
    destination: pino.destination({ dest: 2, sync: true }),
  });
  const path = common.flagsFile ?? config.flagsFile;
  const store = createFileFlagStore({ path, bootstrap: config.bootstrap, logger });
  return { config, store, io, json: common.json ?? false };
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

async function validate(ctx: Context): Promise<number> {
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
  | { readonly name: 'validate' };

/** Runs one flags sub-command and returns its exit code; never throws. */
export async function runFlagsCommand(
  command: FlagsCommand,
  common: CommonOptions,
  io: CliIo = processIo,
): Promise<number> {
  try {
    const ctx = setUp(common, io);
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
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}`);
      return 2;
    }
    io.err(`error: ${(err as Error).message}`);
    return 1;
  }
}
