// The one integer parser behind every whole-number CLI option: plain decimal digits in range, and
// an error that says what is accepted.
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { intOption } from '../../src/cli/int-option.js';

describe('intOption', () => {
  const days = intOption(1, 365);
  it.each([
    ['1', 1],
    ['365', 365],
    ['030', 30],
  ])('%j → %d', (raw, n) => {
    expect(days(raw)).toBe(n);
  });

  it.each(['0', '366', '1e2', '0x10', '5.0', '5.5', '', 'ten', 'Infinity', '9'.repeat(20)])(
    '%j is refused, saying the range',
    (raw) => {
      expect(() => days(raw)).toThrow(InvalidArgumentError);
      expect(() => days(raw)).toThrow('expected a whole number from 1 to 365');
    },
  );

  it('an open-ended range and a unit read naturally', () => {
    expect(() => intOption(1, Infinity)('0')).toThrow('expected a whole number of 1 or more');
    expect(intOption(1, Infinity)('250000')).toBe(250_000);
    expect(() => intOption(1, 65_535, 'a port number')('70000')).toThrow(
      'expected a whole number from 1 to 65535 (a port number)',
    );
  });
});
