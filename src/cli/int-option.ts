// The one integer parser for CLI options (commander's argParser): the shared parseInteger, with
// its sentence as commander's error ("error: option '--days <n>' argument '0' is invalid. expected
// a whole number from 1 to 365").
import { InvalidArgumentError } from 'commander';
import { parseInteger } from '../shared/env-parse.js';

/** `max` Infinity: no upper bound. `unit` names what the number is, in the error. */
export function intOption(min: number, max: number, unit = ''): (raw: string) => number {
  return (raw) => {
    const r = parseInteger(raw, min, max, unit);
    if (!r.ok) throw new InvalidArgumentError(`expected ${r.expected}`);
    return r.value;
  };
}
