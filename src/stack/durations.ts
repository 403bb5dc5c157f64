// Prometheus duration literals (`1h30m`, `5m`, `500ms`, `7d`) for fast mode: parsed with the rule
// loader's own parser, and written back by its formatter (days the largest unit).
import { parseDuration as parsePrometheusDuration } from '../canary/rules/duration.js';

export { formatDuration } from '../canary/rules/duration.js';

/** Milliseconds of a duration literal (or of bare seconds), or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000); // bare seconds
  const r = parsePrometheusDuration(t);
  return r.ok ? r.ms : undefined;
}
