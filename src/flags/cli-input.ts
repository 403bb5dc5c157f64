// The `canary flags update` input, from command-line options or from npm's environment. npm hands
// `npm run feature-flag:update --flag=x --value=true` to the script as npm_config_* variables, with
// two quirks: `--value=false` arrives as an empty string, and npm 11 reads `--flag=x` as the
// shorthands -f -l -a -g and passes `x` on as an argument. Both are handled here, once.
import { userInfo } from 'node:os';
import { parseBool, parseInteger } from '../shared/env-parse.js';
import { UsageError } from '../shared/usage-error.js';
import { SEGMENTS, type ChangeMeta, type FlagChange, type Segment } from './types.js';

export interface RawUpdateOptions {
  readonly flag?: string;
  readonly value?: string;
  readonly percentage?: string;
  readonly segment?: string;
  readonly reason?: string;
  readonly actor?: string;
  readonly create?: boolean;
  readonly fromNpmConfig?: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

const NPM_KEYS = ['flag', 'value', 'percentage', 'segment', 'reason', 'actor'] as const;

/** Command-line options win over npm's variables; the positional flag name is npm 11's `--flag`. */
export function mergeNpmConfig(
  raw: RawUpdateOptions,
  positionalFlag: string | undefined,
  env: Env,
): RawUpdateOptions {
  const merged: Record<string, string | boolean | undefined> = { ...raw };
  if (raw.fromNpmConfig) {
    for (const key of NPM_KEYS) {
      const fromNpm = env[`npm_config_${key}`];
      if (merged[key] === undefined && fromNpm !== undefined) {
        merged[key] = key === 'value' && fromNpm === '' ? 'false' : fromNpm;
      }
    }
  }
  if (merged.flag === undefined && positionalFlag !== undefined) merged.flag = positionalFlag;
  else if (positionalFlag !== undefined && positionalFlag !== merged.flag) {
    throw new UsageError(
      `two flag names given: "${String(merged.flag)}" and "${positionalFlag}"; give one`,
    );
  }
  return merged as RawUpdateOptions;
}

export function parseValue(raw: string): boolean {
  const r = parseBool(raw);
  if (!r.ok)
    throw new UsageError(`--value ${JSON.stringify(raw)} is not valid: expected true or false`);
  return r.value;
}

export function parsePercentage(raw: string): number {
  const r = parseInteger(raw, 0, 100, 'percent');
  if (!r.ok)
    throw new UsageError(
      `--percentage ${JSON.stringify(raw)} is not valid: expected ${r.expected}`,
    );
  return r.value;
}

export function parseSegment(raw: string): Segment {
  const hit = SEGMENTS.find((s) => s === raw.trim());
  if (hit === undefined) {
    throw new UsageError(
      `--segment ${JSON.stringify(raw)} is not valid: expected ${SEGMENTS.join(' or ')} ` +
        '(leave it out to set the percentage for everyone else)',
    );
  }
  return hit;
}

function defaultActor(env: Env): string {
  const fromEnv = env.USER ?? env.USERNAME ?? env.LOGNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Validates an update's options into a change and its audit facts, or throws a UsageError. */
export function parseUpdate(
  raw: RawUpdateOptions,
  env: Env,
): { change: FlagChange; meta: ChangeMeta } {
  if (!raw.flag)
    throw new UsageError('which flag? give --flag <name> (e.g. --flag ai-search-enabled)');
  const value = raw.value !== undefined ? parseValue(raw.value) : undefined;
  const percentage = raw.percentage !== undefined ? parsePercentage(raw.percentage) : undefined;
  const segment = raw.segment !== undefined ? parseSegment(raw.segment) : undefined;
  if (value === undefined && percentage === undefined) {
    throw new UsageError('nothing to change: give --value true|false and/or --percentage 0..100');
  }
  if (segment !== undefined && percentage === undefined) {
    throw new UsageError(
      `--segment ${segment} needs --percentage: the share of ${segment} to serve`,
    );
  }
  const change: FlagChange = {
    flag: raw.flag,
    ...(value !== undefined ? { value } : {}),
    ...(percentage !== undefined ? { percentage } : {}),
    ...(segment !== undefined ? { segment } : {}),
    ...(raw.create ? { create: true } : {}),
  };
  const actor = raw.actor?.trim() || defaultActor(env);
  const reason = raw.reason?.trim() || '(no reason given)';
  return { change, meta: { actor, reason } };
}
