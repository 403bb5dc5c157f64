// Prometheus's duration syntax (model.ParseDuration): units in order y w d h m s ms, each at most
// once, integers only, e.g. `5m`, `1h30m`, `7d`, `0`. `1.5h` or `5 m` are errors, as in Prometheus.

export const UNITS_MS: readonly (readonly [string, number])[] = [
  ['y', 365 * 86_400_000],
  ['w', 7 * 86_400_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

const PATTERN = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

export type DurationParse = { ok: true; ms: number } | { ok: false; message: string };

export function parseDuration(text: string): DurationParse {
  if (text === '') return { ok: false, message: 'empty duration string' };
  if (text === '0') return { ok: true, ms: 0 };
  const m = PATTERN.exec(text);
  if (m === null) {
    return {
      ok: false,
      message: `not a valid duration string: ${JSON.stringify(text)} (use e.g. 30s, 5m, 1h30m, 7d)`,
    };
  }
  let ms = 0;
  UNITS_MS.forEach(([, unit], i) => {
    const n = m[i + 1];
    if (n !== undefined) ms += Number(n) * unit;
  });
  return { ok: true, ms };
}

/**
 * A duration in Prometheus's composite form, largest unit first (5400000 → "1h30m", 0 → "0s").
 * Days are the largest unit: weeks and years read badly once fast mode scales them ("1w3d2h").
 * The one formatter for rules, fast mode and rollout plans.
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not a duration: ${ms} ms`);
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of UNITS_MS) {
    if (unit === 'y' || unit === 'w') continue;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
