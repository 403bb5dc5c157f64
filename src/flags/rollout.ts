// The rollout spec as people think of it, and the pure rules around it: what a change does, what
// each segment is actually served, and the spec the guide's bootstrap variables describe.
import type { Config } from '../shared/config.js';
import {
  SEGMENTS,
  type ChangeMeta,
  type FlagChange,
  type UpdateResult,
  type RolloutSpec,
  type Segment,
  type UserSegment,
} from './types.js';

export type SpecResult = { ok: true; spec: RolloutSpec } | { ok: false; error: string };

/** Flag keys the CLI may create: lower-case words joined by `-`, `_` or `.`. */
export const FLAG_KEY = /^[a-z0-9][a-z0-9._-]{0,99}$/;
export const FLAG_KEY_RULE =
  'lower-case letters, digits, ".", "_" or "-", starting with a letter or digit';

export function isPercentage(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 100;
}

export function makeSpec(
  enabled: boolean,
  percentages: Record<Segment | 'default', number>,
): RolloutSpec {
  return Object.freeze({ enabled, percentages: Object.freeze({ ...percentages }) });
}

/** A new flag starts switched off with every percentage at 0. */
export const OFF_SPEC: RolloutSpec = makeSpec(false, {
  'internal-users': 0,
  'beta-users': 0,
  default: 0,
});

/** The guide's variables, read once when no flag file exists yet. */
export function specFromBootstrap(bootstrap: Config['bootstrap']): RolloutSpec {
  return makeSpec(bootstrap.aiSearchEnabled, {
    'internal-users': bootstrap.internalUsers ? 100 : 0,
    'beta-users': bootstrap.betaUsers ? 100 : 0,
    default: bootstrap.rolloutPercentage,
  });
}

/**
 * Applies one change. `value` flips the kill switch and keeps the percentages, so turning the flag
 * back on after a rollback resumes the rollout where it stood.
 */
export function applyChange(before: RolloutSpec, change: FlagChange): SpecResult {
  if (change.value === undefined && change.percentage === undefined) {
    return { ok: false, error: 'nothing to change: give a value (true|false) and/or a percentage' };
  }
  if (change.segment !== undefined && change.percentage === undefined) {
    return { ok: false, error: `a segment (${change.segment}) needs a percentage to set` };
  }
  if (change.percentage !== undefined && !isPercentage(change.percentage)) {
    return {
      ok: false,
      error: `percentage ${String(change.percentage)} is not valid: expected a whole number from 0 to 100`,
    };
  }
  const percentages = { ...before.percentages };
  if (change.percentage !== undefined) percentages[change.segment ?? 'default'] = change.percentage;
  return { ok: true, spec: makeSpec(change.value ?? before.enabled, percentages) };
}

/**
 * The share of a segment served `on`. A segment member gets the larger of the segment's and the
 * public percentage, so raising the public rollout never takes AI search away from internal or
 * beta users who already had it.
 */
export function servedPercentage(spec: RolloutSpec, segment: UserSegment): number {
  if (!spec.enabled) return 0;
  const pub = spec.percentages.default;
  return segment === 'public' ? pub : Math.max(spec.percentages[segment], pub);
}

export function effectiveRollout(spec: RolloutSpec): Record<UserSegment, number> {
  const out = { public: servedPercentage(spec, 'public') } as Record<UserSegment, number>;
  for (const s of SEGMENTS) out[s] = servedPercentage(spec, s);
  return out;
}

export function sameSpec(a: RolloutSpec, b: RolloutSpec): boolean {
  return (
    a.enabled === b.enabled &&
    a.percentages.default === b.percentages.default &&
    SEGMENTS.every((s) => a.percentages[s] === b.percentages[s])
  );
}

/** One line for logs and the CLI, e.g. `on: internal-users 1%, beta-users 10%, public 0%`. */
export function describeSpec(spec: RolloutSpec): string {
  const parts = [
    ...SEGMENTS.map((s) => `${s} ${spec.percentages[s]}%`),
    `public ${spec.percentages.default}%`,
  ];
  return `${spec.enabled ? 'on' : 'off (kill switch)'}: ${parts.join(', ')}`;
}

/** What every store refuses before touching anything: a bad flag name, or no actor. */
export function refuseBadInput(change: FlagChange, meta: ChangeMeta): UpdateResult | undefined {
  if (!FLAG_KEY.test(change.flag))
    return {
      ok: false,
      code: 'invalid-change',
      error: `flag name "${change.flag}" is not valid: ${FLAG_KEY_RULE}`,
    };
  if (meta.actor.trim() === '')
    return {
      ok: false,
      code: 'invalid-change',
      error: 'an actor is required: who makes this change?',
    };
  return undefined;
}

/** Why a conditional write does nothing (the flag is not as `when` requires), or undefined. */
export function unmetCondition(
  flag: string,
  current: RolloutSpec | undefined,
  when: { readonly enabled: boolean },
): string | undefined {
  if ((current?.enabled ?? false) === when.enabled) return undefined;
  const now = current ? describeSpec(current) : 'not defined';
  return `${flag} is ${now}, not ${when.enabled ? 'on' : 'off'}: nothing to do`;
}
