// Small parsers for environment values. Each returns a value or a human sentence saying what the
// variable accepts, so the caller can collect every problem and report them all at once.

export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

export function parseBool(raw: string): Parsed<boolean> {
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return { ok: true, value: true };
  if (FALSE.has(v)) return { ok: true, value: false };
  return { ok: false, expected: 'true or false (also 1/0, yes/no, on/off)' };
}

/**
 * A whole number in plain decimal digits (no `1e3`, `0x10`, `5.0`), within [min, max]; `max`
 * Infinity means no upper bound (then only safe integers pass). The one integer parser of the
 * environment, the CLI options (src/cli/int-option.ts) and the flags CLI.
 */
export function parseInteger(raw: string, min: number, max: number, unit = ''): Parsed<number> {
  const v = raw.trim();
  const range = max === Infinity ? `of ${min} or more` : `from ${min} to ${max}`;
  const expected = `a whole number ${range}${unit ? ` (${unit})` : ''}`;
  if (!/^-?\d+$/.test(v)) return { ok: false, expected };
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max) return { ok: false, expected };
  return { ok: true, value: n };
}

export function parseEnum<T extends string>(raw: string, allowed: readonly T[]): Parsed<T> {
  const v = raw.trim().toLowerCase();
  const hit = allowed.find((a) => a === v);
  return hit !== undefined
    ? { ok: true, value: hit }
    : { ok: false, expected: `one of ${allowed.join(', ')}` };
}

export function parseHttpUrl(raw: string): Parsed<string> {
  const v = raw.trim();
  try {
    const u = new URL(v);
    if (u.protocol === 'http:' || u.protocol === 'https:') {
      return { ok: true, value: v.replace(/\/+$/, '') };
    }
  } catch {
    // fall through to the message below
  }
  return { ok: false, expected: 'an http:// or https:// URL' };
}

export function parsePort(raw: string): Parsed<number> {
  return parseInteger(raw, 0, 65535, 'a TCP port; 0 picks a free one');
}

/** A comma-separated list of items from an allowed set, order kept, duplicates refused. */
export function parseList<T extends string>(raw: string, allowed: readonly T[]): Parsed<T[]> {
  const items = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  const expected = `a comma-separated list of ${allowed.join(', ')} (no repeats)`;
  if (items.length === 0) return { ok: false, expected };
  const out: T[] = [];
  for (const item of items) {
    const hit = allowed.find((a) => a === item);
    if (hit === undefined || out.includes(hit)) return { ok: false, expected };
    out.push(hit);
  }
  return { ok: true, value: out };
}

/** A duration such as 15s, 500ms, 5m, 1h (Prometheus style, one unit). */
export function parseDurationMs(raw: string): Parsed<number> {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(raw.trim());
  const expected = 'a duration such as 500ms, 15s, 5m or 1h';
  if (!m) return { ok: false, expected };
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as string];
  const n = Number(m[1]) * (factor ?? NaN);
  return Number.isSafeInteger(n) ? { ok: true, value: n } : { ok: false, expected };
}
