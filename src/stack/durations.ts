// Prometheus duration literals (`1h30m`, `5m`, `500ms`, `7d`), parsed to milliseconds and written
// back in the shortest composite form Prometheus accepts.

const UNITS = [
  ['y', 365 * 86_400_000],
  ['w', 7 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
] as const;

const UNIT_MS: ReadonlyMap<string, number> = new Map(UNITS);
const DURATION = /^(?:\d+(?:y|w|d|h|ms|m|s))+$/;
const PART = /(\d+)(y|w|d|h|ms|m|s)/g;

/** Milliseconds of a duration literal, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === '0') return 0;
  if (/^\d+(?:\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000); // bare seconds
  if (!DURATION.test(t)) return undefined;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(PART)) ms += Number(n) * (UNIT_MS.get(unit ?? '') ?? 0);
  return ms;
}

/** `10_080_000` → `2h48m`; `0` → `0s`. Years and weeks are avoided: they read badly scaled. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not a duration: ${ms} ms`);
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of UNITS) {
    if (unit === 'y' || unit === 'w') continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
