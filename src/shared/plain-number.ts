// Numbers from HTTP input, read strictly. Query strings and JSON admit many spellings of a number
// (`1e2`, `0x10`, `" 5"`, `5.0`, `Infinity`, `1e400`, `-0`); every API here takes whole numbers, so
// exactly one spelling is accepted: plain decimal digits, optionally signed, within the safe
// integers. Anything else is the client's mistake, answered with a 400 that shows the spelling.

const PLAIN_INTEGER = /^-?(0|[1-9][0-9]*)$/;
/** A JSON number token (the text already passed JSON.parse, so it is well formed). */
const JSON_NUMBER = /-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** The integer `text` spells in plain decimal digits; undefined for any other spelling. */
export function parsePlainInteger(text: string): number | undefined {
  if (!PLAIN_INTEGER.test(text) || text === '-0') return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A number in a JSON text that is not spelled plainly, and the key it belongs to. */
export interface LooseNumber {
  /** The property the number is the value of (or an item of); undefined at the top level. */
  readonly key: string | undefined;
  readonly raw: string;
}

/**
 * The first number in `json` (a text JSON.parse accepted) that is not a plain safe integer. Keys
 * in `fractionKeys` hold fractions and may be any finite number (`0.25`, and `1e-7`, which is how
 * JSON.stringify writes small numbers); their range is the schema's business.
 */
export function findLooseNumber(
  json: string,
  fractionKeys: ReadonlySet<string> = new Set(),
): LooseNumber | undefined {
  let key: string | undefined;
  let i = 0;
  while (i < json.length) {
    const c = json[i]!;
    if (c === '"') {
      const end = stringEnd(json, i);
      // A string followed by a colon is a key; the next value belongs to it.
      if (json[skipSpace(json, end)] === ':') key = JSON.parse(json.slice(i, end)) as string;
      i = end;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      JSON_NUMBER.lastIndex = i;
      const raw = JSON_NUMBER.exec(json)?.[0] ?? c;
      const fraction = key !== undefined && fractionKeys.has(key);
      if (!(fraction ? Number.isFinite(Number(raw)) : parsePlainInteger(raw) !== undefined)) {
        return { key, raw };
      }
      i += raw.length;
    } else {
      i += 1;
    }
  }
  return undefined;
}

/** A reason for a 400 answer: where the number is, how it was written, how to write it. */
export function looseNumberReason(where: string, loose: LooseNumber): string {
  const at = loose.key === undefined ? where : `${where}/${loose.key}`;
  return (
    `${at}: the number ${loose.raw} is not accepted; write numbers in plain decimal digits ` +
    `(e.g. 5, not 5.0, 5e0 or 0x5) within ±${Number.MAX_SAFE_INTEGER}`
  );
}

/** The index just past the closing quote of the JSON string that starts at `start`. */
function stringEnd(json: string, start: number): number {
  let i = start + 1;
  while (i < json.length && json[i] !== '"') i += json[i] === '\\' ? 2 : 1;
  return i + 1;
}

function skipSpace(json: string, from: number): number {
  let i = from;
  while (i < json.length && ' \t\n\r'.includes(json[i]!)) i += 1;
  return i;
}
