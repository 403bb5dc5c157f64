// Decimal rounding as Go's strconv does it: on the exact binary value, with exact ties rounded
// half to even. JavaScript's toFixed/toExponential round exact ties away from zero instead, so
// Go prints 0.125 with "%.2f" as "0.12" where JavaScript gives "0.13".

/** |v| = digits × 10^exp10, exactly (v finite). */
function exactDecimal(v: number): { digits: bigint; exp10: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exp2 = (biased === 0 ? 1 : biased) - 1075;
  // m × 2^e = m × 5^-e × 10^e for negative e.
  return exp2 >= 0
    ? { digits: mantissa << BigInt(exp2), exp10: 0 }
    : { digits: mantissa * 5n ** BigInt(-exp2), exp10: exp2 };
}

/** round(|v| × 10^frac), half to even on exact ties. */
function scaledInteger(v: number, frac: number): bigint {
  const { digits, exp10 } = exactDecimal(v);
  const shift = exp10 + frac;
  if (shift >= 0) return digits * 10n ** BigInt(shift);
  const div = 10n ** BigInt(-shift);
  const q = digits / div;
  const twice = (digits % div) * 2n;
  return twice > div || (twice === div && q % 2n === 1n) ? q + 1n : q;
}

/**
 * An exact tie needs the digit after the last one kept to be exactly 5: when JavaScript's own
 * rounding to one more digit does not end in 5, there is no tie and JavaScript rounds as Go does.
 * This keeps the exact (BigInt) path for the rare ties only.
 */
function mayBeTie(oneMoreDigit: string): boolean {
  return oneMoreDigit.split('e')[0]?.endsWith('5') ?? true;
}

/** Go's `%.<frac>f`. */
export function goFixed(v: number, frac: number): string {
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  const abs = Math.abs(v);
  if (abs < 1e21 && frac < 100 && !mayBeTie(abs.toFixed(frac + 1))) return sign + abs.toFixed(frac);
  const n = scaledInteger(v, frac)
    .toString()
    .padStart(frac + 1, '0');
  return frac === 0 ? sign + n : `${sign}${n.slice(0, -frac)}.${n.slice(-frac)}`;
}

/** Significant digits (exactly `sig` of them) and the decimal exponent of v, rounded as Go does. */
export function goSignificant(v: number, sig: number): { digits: string; exp: number } {
  if (v === 0) return { digits: '0'.repeat(sig), exp: 0 };
  const abs = Math.abs(v);
  if (sig <= 100 && !mayBeTie(abs.toExponential(sig))) {
    const [mantissa, e] = abs.toExponential(sig - 1).split('e') as [string, string];
    return { digits: mantissa.replace('.', ''), exp: Number(e) };
  }
  const { digits, exp10 } = exactDecimal(v);
  let exp = digits.toString().length - 1 + exp10;
  let n = scaledInteger(v, sig - 1 - exp).toString();
  if (n.length > sig) {
    // Rounding carried into a new digit (9.9995 → 10.00): one more power of ten.
    exp += 1;
    n = n.slice(0, sig);
  }
  return { digits: n, exp };
}

/** Go's `%.<prec>e`: d.ddde±XX. */
export function goExponent(v: number, prec: number): string {
  const sign = v < 0 || Object.is(v, -0) ? '-' : '';
  const { digits, exp } = goSignificant(v, prec + 1);
  const mantissa = prec === 0 ? digits : `${digits[0]}.${digits.slice(1)}`;
  return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}
