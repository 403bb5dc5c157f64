// `--from`/`--to` of `canary backtest`: an RFC 3339 time (`2026-11-24T14:00:00Z`, an offset
// instead of Z, fractional seconds allowed) or a time relative to now (`now`, `-2h`, `now-90m`,
// `-1h30m`, in Prometheus's duration syntax). Parsed once at the edge; `now` is an argument so the
// parser is pure.
import type { Parsed } from '../../shared/env-parse.js';
import { parseDuration } from '../rules/duration.js';

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const EXPECTED =
  'an RFC 3339 time (2026-11-24T14:00:00Z) or a time relative to now (now, -2h, now-90m)';

export function parseTimeArg(raw: string, now: number): Parsed<number> {
  const text = raw.trim();
  if (text === 'now') return { ok: true, value: now };
  const rel = /^(?:now)?-(.+)$/.exec(text);
  if (rel) {
    const d = parseDuration(rel[1]!);
    if (!d.ok) return { ok: false, expected: `${EXPECTED}; ${d.message}` };
    return { ok: true, value: now - d.ms };
  }
  const m = RFC3339.exec(text);
  if (!m) return { ok: false, expected: EXPECTED };
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  // Date.parse accepts impossible dates (2026-02-31 rolls over); refuse them instead.
  const ms = Date.parse(text.replace(' ', 'T'));
  const check = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  const valid =
    check.getUTCFullYear() === y &&
    check.getUTCMonth() === mo! - 1 &&
    check.getUTCDate() === d &&
    h! < 24 &&
    mi! < 60 &&
    s! < 60;
  if (!valid || Number.isNaN(ms))
    return { ok: false, expected: `${EXPECTED}; no such date or time` };
  return { ok: true, value: ms };
}
