// Prometheus duration literals (`1h30m`, `5m`, `500ms`, `7d`) for fast mode: parsed with the rule
// loader's own parser, and written back in the shortest composite form Prometheus accepts.
import { parseDuration as parsePrometheusDuration, UNITS_MS } from '../canary/rules/duration.js';

/** Milliseconds of a duration literal (or of bare seconds), or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000); // bare seconds
  const r = parsePrometheusDuration(t);
  return r.ok ? r.ms : undefined;
}

/** `10_080_000` → `2h48m`; `0` → `0s`. Years and weeks are avoided: they read badly scaled. */
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
