// Annotation templates render exactly as Prometheus renders them: the expected strings below
// come from `promtool test rules` on rules/ai-search.rules.yml (see rules/tests/*.yml).
import { describe, expect, it } from 'vitest';
import { expandTemplate } from '../../src/canary/engine/evaluator.js';
import {
  formatG,
  humanize,
  humanize1024,
  humanizeDuration,
  sprintf,
} from '../../src/canary/rules/go-format.js';
import { parseTemplate } from '../../src/canary/rules/template.js';

const labels = { route: '/api/search', job: 'svc' };

describe('expansion matches Prometheus', () => {
  it.each([
    ['{{ $value | humanizePercentage }}', 10 / 60, '16.67%'],
    ['{{ $value | humanizePercentage }}', 10 / 110, '9.091%'],
    ['{{ $value | humanizePercentage }}', 0.02, '2%'],
    ['{{ $value | humanizePercentage }}', 0.004, '0.4%'],
    ['{{ $value | humanizePercentage }}', 0.8, '80%'],
    ['{{ $value | humanizeDuration }}', 4.833333333333333, '4.833s'],
    ['{{ $value | humanizeDuration }}', 0.48611111, '486.1ms'],
    ['{{ $value | humanizeDuration }}', 0.475, '475ms'],
    ['{{ $value | humanizeDuration }}', 57.22222, '57.22s'],
    ['${{ printf "%.3f" $value }} per search', 0.2, '$0.200 per search'],
    ['{{ $value | printf "%.2f" }}/5', 3, '3.00/5'],
    ['{{ printf "%.2f" .Value }} on {{ .Labels.route }}', 0.12345, '0.12 on /api/search'],
    ['{{ $labels.route }} {{ $labels.missing }}!', 1, '/api/search !'],
    ['{{ $value }}', 0.1, '0.1'],
    ['{{ $value }}', 1e21, '1e+21'],
    ['{{ $value }}', NaN, 'NaN'],
    ['{{ $value | humanize }}', Infinity, '+Inf'],
    ['a {{- " b " -}} c', 0, 'a b c'],
    ['{{/* a comment */}}plain', 0, 'plain'],
    ['{{ $labels.job | toUpper }}', 0, 'SVC'],
  ])('%s with %d → %s', (text, value, expected) => {
    expect(expandTemplate(text, labels, value)).toBe(expected);
  });
});

describe("Prometheus's humanize functions", () => {
  it.each([
    [humanize, 1234567, '1.235M'],
    [humanize, 0.001234, '1.234m'],
    [humanize, 0, '0'],
    [humanize, -2500, '-2.5k'],
    [humanize1024, 1048576, '1Mi'],
    [humanize1024, 512, '512'],
    [humanizeDuration, 90061, '1d 1h 1m 1s'],
    [humanizeDuration, 3661, '1h 1m 1s'],
    [humanizeDuration, 61, '1m 1s'],
    [humanizeDuration, 0, '0s'],
    [humanizeDuration, 0.0001, '100us'],
    [humanizeDuration, -3661, '-1h 1m 1s'],
  ] as const)('%o(%d) = %s', (fn, value, expected) => {
    expect(fn(value)).toBe(expected);
  });

  it.each([
    [0.000012345, '1.234e-05'],
    [123456, '1.235e+05'],
    [1234, '1234'],
    [0.1, '0.1'],
    [100, '100'],
  ])("Go's %%.4g of %d is %s", (value, expected) => {
    expect(formatG(value)).toBe(expected);
  });

  it.each([
    [1234.5, '1234'],
    [9999.5, '1e+04'],
    [12345, '1.234e+04'],
    [5e-324, '4.941e-324'],
  ])('rounds exact ties half to even, as Go does: %d → %s', (value, expected) => {
    expect(formatG(value)).toBe(expected);
  });

  it('rounds printf ties half to even too, unlike JavaScript', () => {
    expect(sprintf('%.2f %.0f %.0f %.1e', [0.125, 2.5, -3.5, 1.25])).toBe('0.12 2 -4 1.2e+00');
  });

  it('printf pads and reports missing arguments as Go does', () => {
    expect(sprintf('%5.1f|%-4s|%d%%', [3.14159, 'ab', 7.9])).toBe('  3.1|ab  |7%');
    expect(sprintf('%s and %s', ['one'])).toBe('one and %!s(MISSING)');
  });
});

describe('template checks at load', () => {
  it.each([
    ['{{ $value', 0, 'unclosed action'],
    ['ok }} then', 3, 'unexpected "}}"'],
    ['{{ $value | humanise }}', 12, 'function "humanise" not defined'],
    ['{{ if $value }}x{{ end }}', 3, 'unsupported template action "if"'],
    ['{{ $foo }}', 3, 'unknown value "$foo"'],
    ['{{ printf "%.2f }}', 10, 'unterminated quoted string'],
    ['{{ }}', 2, 'missing value'],
    ['{{ $value $value }}', 10, "can't give argument to non-function"],
    ['{{ humanize }}', 3, 'wrong number of args for humanize'],
    ['{{ $value | $value }}', 12, 'non-function $value in pipeline'],
  ])('%j is rejected at offset %d', (text, offset, message) => {
    const parsed = parseTemplate(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.offset).toBe(offset);
    expect(parsed.message).toContain(message);
  });

  it('an expansion problem never throws: it is rendered inline, as Prometheus does', () => {
    expect(expandTemplate('{{ $value', labels, 1)).toMatch(
      /^<error expanding template: unclosed action/,
    );
  });
});
