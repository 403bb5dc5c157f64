// Numbers from HTTP input have one spelling: plain decimal digits within the safe integers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findLooseNumber,
  looseNumberReason,
  parsePlainInteger,
} from '../../src/shared/plain-number.js';

describe('parsePlainInteger', () => {
  it.each([
    ['0', 0],
    ['5', 5],
    ['-12', -12],
    ['100', 100],
    [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
  ])('%s → %s', (text, n) => {
    expect(parsePlainInteger(text)).toBe(n);
  });

  it.each([
    'Infinity',
    '-Infinity',
    'NaN',
    '1e2',
    '1E2',
    '1e400',
    '0x10',
    '0o7',
    '0b1',
    ' 5',
    '5 ',
    '+5',
    '05',
    '-0',
    '5.0',
    '.5',
    '5.',
    '1_000',
    '',
    '-',
    'null',
    'true',
    '٥',
    '9007199254740992',
  ])('refuses %j', (text) => {
    expect(parsePlainInteger(text)).toBeUndefined();
  });

  it('reads every safe integer from its own spelling, and only from it', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(parsePlainInteger(String(n))).toBe(n === 0 ? 0 : n);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (s) => {
        const n = parsePlainInteger(s);
        if (n !== undefined) expect(String(n)).toBe(s);
      }),
    );
  });
});

describe('findLooseNumber', () => {
  it.each([
    ['{"rating":5}', undefined],
    ['{"a":[1,2,-3],"b":{"c":0}}', undefined],
    ['{"s":"1e2 5.0 0x10","n":1}', undefined],
    ['{"k\\"ey":5}', undefined],
    ['{"rating":5.0}', { key: 'rating', raw: '5.0' }],
    ['{"rating":1e2}', { key: 'rating', raw: '1e2' }],
    ['{"rating":1E+2}', { key: 'rating', raw: '1E+2' }],
    ['{"rating":1e400}', { key: 'rating', raw: '1e400' }],
    ['{"rating":-0}', { key: 'rating', raw: '-0' }],
    ['{"a":{"b":1},"c":[2, 3.5]}', { key: 'c', raw: '3.5' }],
    ['{"rating":12345678901234567890}', { key: 'rating', raw: '12345678901234567890' }],
    ['7.5', { key: undefined, raw: '7.5' }],
  ])('%s → %j', (json, loose) => {
    expect(findLooseNumber(json)).toEqual(loose);
  });

  it('lets named keys hold any finite number (JSON.stringify writes 1e-7), others whole numbers', () => {
    const rate = new Set(['errorRate']);
    expect(findLooseNumber('{"errorRate":0.25,"latencyMs":10}', rate)).toBeUndefined();
    expect(findLooseNumber(JSON.stringify({ errorRate: 1e-7 }), rate)).toBeUndefined();
    expect(findLooseNumber('{"errorRate":1e400}', rate)).toEqual({
      key: 'errorRate',
      raw: '1e400',
    });
    expect(findLooseNumber('{"errorRate":0.25,"latencyMs":10.5}', rate)).toEqual({
      key: 'latencyMs',
      raw: '10.5',
    });
  });

  it('finds a loose number exactly when a value holds a number that is not a safe integer', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        const text = JSON.stringify(value);
        const numbers: number[] = [];
        JSON.parse(text, (_k, v: unknown) => (typeof v === 'number' && numbers.push(v), v));
        const allPlain = numbers.every((n) => Number.isSafeInteger(n) && !Object.is(n, -0));
        expect(findLooseNumber(text) === undefined).toBe(allPlain);
      }),
      { numRuns: 500 },
    );
  });

  it('says where the number is and how to write it', () => {
    expect(looseNumberReason('body', { key: 'rating', raw: '5e0' })).toMatch(
      /^body\/rating: the number 5e0 is not accepted; write numbers in plain decimal digits/,
    );
  });
});
