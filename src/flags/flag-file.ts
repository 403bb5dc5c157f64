// The flag file in flagd's format. Each flag's rollout spec lives in its `metadata`; its `variants`,
// `defaultVariant` and `targeting` are derived from the spec, so the file a person reads and the
// rules flagd evaluates can never disagree: a hand edit that makes them disagree is an error.
import { isDeepStrictEqual } from 'node:util';
import { MemoryStorage } from '@openfeature/flagd-core';
import { FLAG_KEY, FLAG_KEY_RULE, isPercentage, makeSpec } from './rollout.js';
import { SEGMENTS, type RolloutSpec, type Segment } from './types.js';

export const FLAGD_SCHEMA = 'https://flagd.dev/schema/v0/flags.json';

export type FlagSpecs = ReadonlyMap<string, RolloutSpec>;
export type ParseResult = { ok: true; flags: FlagSpecs } | { ok: false; error: string };

/** A flag file that cannot be used; the message names the file and what is wrong. */
export class FlagFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagFileError';
  }
}

const PCT_KEY: Record<Segment | 'default', string> = {
  'internal-users': 'pct_internal_users',
  'beta-users': 'pct_beta_users',
  default: 'pct_default',
};

function evaluators(): Record<Segment, unknown> {
  const out = {} as Record<Segment, unknown>;
  for (const s of SEGMENTS) out[s] = { '==': [{ var: 'segment' }, s] };
  return out;
}

/** `on` first: a user whose hash falls below the percentage stays `on` when it rises. */
function split(percent: number): unknown {
  return {
    fractional: [
      ['on', percent],
      ['off', 100 - percent],
    ],
  };
}

function targeting(spec: RolloutSpec): Record<string, unknown> {
  if (!spec.enabled) return {};
  const pub = spec.percentages.default;
  const branches = SEGMENTS.flatMap((s) => [
    { $ref: s },
    split(Math.max(spec.percentages[s], pub)),
  ]);
  return { if: [...branches, split(pub)] };
}

function metadata(spec: RolloutSpec): Record<string, boolean | number> {
  const out: Record<string, boolean | number> = { enabled: spec.enabled };
  for (const [key, name] of Object.entries(PCT_KEY)) {
    out[name] = spec.percentages[key as Segment | 'default'];
  }
  return out;
}

export function renderFlag(spec: RolloutSpec): Record<string, unknown> {
  return {
    state: 'ENABLED',
    variants: { on: true, off: false },
    defaultVariant: 'off',
    targeting: targeting(spec),
    metadata: metadata(spec),
  };
}

function renderDocument(specs: FlagSpecs): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const key of [...specs.keys()].sort()) flags[key] = renderFlag(specs.get(key)!);
  return { $schema: FLAGD_SCHEMA, $evaluators: evaluators(), flags };
}

/** JSON with two-space indents, but short arrays and objects on one line so rules read easily. */
function pretty(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value)
    .replace(/":/g, '": ')
    .replace(/,(?=["{[\d-]|true|false|null)/g, ', ');
  if (typeof value !== 'object' || value === null || flat.length + indent.length <= 80) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    return `[\n${value.map((v) => inner + pretty(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).map(
    ([k, v]) => `${inner}${JSON.stringify(k)}: ${pretty(v, inner)}`,
  );
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

/** The file's text for these specs: deterministic, so equal specs give byte-equal files. */
export function renderFlagFile(specs: FlagSpecs): string {
  return `${pretty(renderDocument(specs))}\n`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function specFromMetadata(key: string, meta: unknown): RolloutSpec | string {
  if (!isObject(meta)) return `flag "${key}" has no metadata with its rollout spec`;
  if (typeof meta.enabled !== 'boolean') {
    return `flag "${key}": metadata.enabled must be true or false`;
  }
  const percentages = {} as Record<Segment | 'default', number>;
  for (const [segment, name] of Object.entries(PCT_KEY)) {
    const v = meta[name];
    if (!isPercentage(v)) {
      return `flag "${key}": metadata.${name} must be a whole number from 0 to 100, got ${JSON.stringify(v)}`;
    }
    percentages[segment as Segment | 'default'] = v;
  }
  return makeSpec(meta.enabled, percentages);
}

/** One flag's flagd definition, checked against its metadata: the spec, or what is wrong. */
export function parseFlagDefinition(key: string, def: unknown): RolloutSpec | string {
  if (!FLAG_KEY.test(key)) return `flag key ${JSON.stringify(key)} is not valid: ${FLAG_KEY_RULE}`;
  return checkFlag(key, def);
}

function checkFlag(key: string, def: unknown): RolloutSpec | string {
  const spec = specFromMetadata(key, isObject(def) ? def.metadata : undefined);
  if (typeof spec === 'string') return spec;
  const expected = renderFlag(spec);
  for (const field of Object.keys({ ...expected, ...(def as object) })) {
    const got = (def as Record<string, unknown>)[field];
    if (!isDeepStrictEqual(got, expected[field])) {
      return (
        `flag "${key}": ${field} does not match its metadata ` +
        `(expected ${JSON.stringify(expected[field])}, found ${JSON.stringify(got)}). ` +
        'Edit the metadata, not the derived fields, or use `canary flags update`'
      );
    }
  }
  return spec;
}

function checkDocument(doc: unknown): FlagSpecs | string {
  if (!isObject(doc)) return 'the top level must be a JSON object';
  const extra = Object.keys(doc).filter((k) => !['$schema', '$evaluators', 'flags'].includes(k));
  if (extra.length > 0) return `unexpected top-level field(s): ${extra.join(', ')}`;
  if (doc.$schema !== FLAGD_SCHEMA) return `$schema must be "${FLAGD_SCHEMA}"`;
  if (!isDeepStrictEqual(doc.$evaluators, evaluators())) {
    return `$evaluators must define the segments exactly as: ${JSON.stringify(evaluators())}`;
  }
  if (!isObject(doc.flags)) return '"flags" must be an object of flag definitions';
  const specs = new Map<string, RolloutSpec>();
  for (const [key, def] of Object.entries(doc.flags)) {
    if (!FLAG_KEY.test(key))
      return `flag key ${JSON.stringify(key)} is not valid: ${FLAG_KEY_RULE}`;
    const spec = checkFlag(key, def);
    if (typeof spec === 'string') return spec;
    specs.set(key, spec);
  }
  return specs;
}

/** flagd's own schema check, so a file this module accepts is one flagd accepts too. */
function flagdRejects(text: string): string | undefined {
  const silent = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };
  try {
    new MemoryStorage(silent).setConfigurations(text, true);
    return undefined;
  } catch (err) {
    return `flagd rejects it: ${(err as Error).message.slice(0, 500)}`;
  }
}

/** Parses and fully validates a flag file's text; errors read `<path>: <what is wrong>`. */
export function parseFlagFile(text: string, path: string): ParseResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `${path}: not valid JSON (${(err as Error).message})` };
  }
  const specs = checkDocument(doc);
  if (typeof specs === 'string') return { ok: false, error: `${path}: ${specs}` };
  const rejected = flagdRejects(text);
  if (rejected) return { ok: false, error: `${path}: ${rejected}` };
  return { ok: true, flags: specs };
}
