// Go's fmt verbs and Prometheus's humanize* template functions, so annotations read exactly as
// Prometheus would render them (`{{ $value | humanizePercentage }}` → "12.5%").
import { goExponent, goFixed, goSignificant } from './go-decimal.js';

/** Go's `%.<prec>g`: shortest form with `prec` significant digits, no trailing zeros. */
export function formatG(v: number, prec = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const p = Math.max(prec, 1);
  const { exp } = goSignificant(v, p);
  if (exp < -4 || exp >= p) {
    const [mantissa, e] = goExponent(v, p - 1).split('e') as [string, string];
    return `${trimZeros(mantissa)}e${e}`;
  }
  return trimZeros(goFixed(v, Math.max(p - 1 - exp, 0)));
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

const BIG = ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
const SMALL = ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];

/** Prometheus `humanize`: SI prefixes, 4 significant digits (1234567 → "1.235M"). */
export function humanize(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return formatG(v);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of BIG) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const p of SMALL) {
      if (Math.abs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return formatG(v) + prefix;
}

/** Prometheus `humanize1024`: binary prefixes (ki, Mi, …). */
export function humanize1024(v: number): string {
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return formatG(v);
  let prefix = '';
  for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi']) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return formatG(v) + prefix;
}

/** Prometheus `humanizePercentage`: a ratio as a percentage (0.125 → "12.5%"). */
export function humanizePercentage(v: number): string {
  return `${formatG(v * 100)}%`;
}

/** Prometheus `humanizeDuration`: seconds as "1d 2h 3m 4s", or "2.5s", or "150ms". */
export function humanizeDuration(v: number): string {
  if (!Number.isFinite(v)) return formatG(v);
  if (v === 0) return `${formatG(v)}s`;
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? '-' : '';
    const abs = Math.abs(v);
    const whole = goInt64(abs);
    const s = whole % 60n;
    const m = (whole / 60n) % 60n;
    const h = (whole / 3600n) % 24n;
    const days = whole / 86400n;
    if (days !== 0n) return `${sign}${days}d ${h}h ${m}m ${s}s`;
    if (h !== 0n) return `${sign}${h}h ${m}m ${s}s`;
    if (m !== 0n) return `${sign}${m}m ${s}s`;
    return `${sign}${formatG(abs)}s`;
  }
  let prefix = '';
  for (const p of SMALL) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${formatG(v)}${prefix}s`;
}

/** Go's `fmt.Sprintf` for the verbs annotations use: %s %v %d %f %g %e %q %% with width/precision. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let i = 0;
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([svdfgeq%])/g, (_m, flags, w, p, verb) => {
    if (verb === '%') return '%';
    if (i >= args.length) return `%!${verb}(MISSING)`;
    const out = formatVerb(verb as string, args[i++], p === undefined ? undefined : Number(p));
    return pad(out, w === undefined ? 0 : Number(w), String(flags));
  });
}

function formatVerb(verb: string, arg: unknown, prec: number | undefined): string {
  const n = typeof arg === 'number' ? arg : Number(arg);
  switch (verb) {
    case 'd':
      return Number.isFinite(n) ? String(Math.trunc(n)) : formatG(n);
    case 'f':
      return Number.isFinite(n) ? goFixed(n, prec ?? 6) : formatG(n);
    case 'e':
      return Number.isFinite(n) ? goExponent(n, prec ?? 6) : formatG(n);
    case 'g':
      return typeof arg === 'number' && prec === undefined ? shortest(n) : formatG(n, prec ?? 17);
    case 'q':
      return JSON.stringify(String(arg));
    default:
      return typeof arg === 'number' ? shortest(arg) : String(arg);
  }
}

/** Go's `%v`/`%g` of a float64 without precision: shortest digits, exponent form from 1e+06 (as fmt.Print). */
export function shortest(n: number): string {
  if (!Number.isFinite(n)) return formatG(n);
  const exp = Number(n.toExponential().split('e')[1]);
  return exp < -4 || exp >= 6 ? goExp(n.toExponential()) : String(n);
}

function goExp(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function pad(s: string, width: number, flags: string): string {
  if (s.length >= width) return s;
  if (flags.includes('-')) return s.padEnd(width);
  return flags.includes('0') ? s.padStart(width, '0') : s.padStart(width);
}

/** Go's `int64(f)` on amd64: truncation, and the minimum int64 when out of range. */
function goInt64(f: number): bigint {
  return Math.abs(f) < 2 ** 63 ? BigInt(Math.trunc(f)) : -(2n ** 63n);
}
