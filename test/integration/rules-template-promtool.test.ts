// Our template expansion against Prometheus's own: alerts whose annotations use every supported
// function, over awkward values (exact rounding ties, tiny, huge, negative, NaN), run through
// `promtool test rules` with the annotations our expandTemplate produces as the expectation.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { expandTemplate } from '../../src/canary/engine/evaluator.js';

const TEMPLATES = [
  '{{ $value }}',
  '{{ $value | humanize }}',
  '{{ humanize1024 $value }}',
  '{{ $value | humanizePercentage }}',
  '{{ $value | humanizeDuration }}',
  '{{ printf "%.2f" $value }} {{ printf "%.0f|%.3e|%g|%v" .Value .Value .Value .Value }}',
  '{{ printf "%8.3f|%-6s|" $value "ab" }}',
  '{{ $labels.route | toUpper }} {{ .Labels.route }} {{ title "media contacts" }}',
  'a {{- " b " -}} c {{/* comment */}}',
];
const VALUES = [
  10 / 60,
  1234.5,
  9999.5,
  0.125,
  2.5,
  1e-7,
  123456789,
  90061,
  0.0001,
  -3661,
  0,
  NaN,
  1234567,
  100000,
  999999.5,
  0.00012,
  1e21,
  -0.5,
  0.1 + 0.2,
  5e-324,
  1.5e300,
  59.9999,
  3599.5,
];

const dir = mkdtempSync(join(tmpdir(), 'canary-templates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('annotation templates render exactly as Prometheus renders them', () => {
  it('promtool agrees with expandTemplate on every function and value', () => {
    const labels = { route: '/api/search' };
    const annotations = Object.fromEntries(TEMPLATES.map((t, i) => [`a${i}`, t]));
    const rules = VALUES.map((v, i) => ({
      alert: `t${i}`,
      expr: `label_replace(vector(${String(v)}), "route", "/api/search", "", "")`,
      annotations,
    }));
    writeFileSync(
      join(dir, 'templates.rules.yml'),
      stringify({ groups: [{ name: 'templates', rules }] }),
    );
    const tests = VALUES.map((v, i) => ({
      eval_time: '1m',
      alertname: `t${i}`,
      exp_alerts: [
        {
          exp_labels: labels,
          exp_annotations: Object.fromEntries(
            TEMPLATES.map((t, j) => [`a${j}`, expandTemplate(t, labels, v)]),
          ),
        },
      ],
    }));
    writeFileSync(
      join(dir, 'templates.test.yml'),
      stringify({
        rule_files: ['templates.rules.yml'],
        evaluation_interval: '1m',
        tests: [{ interval: '1m', input_series: [], alert_rule_test: tests }],
      }),
    );
    const out = spawnSync('promtool', ['test', 'rules', 'templates.test.yml'], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (out.error)
      throw new Error(`promtool could not run (install Prometheus 2.42+): ${out.error.message}`);
    expect(out.status, `${out.stdout}${out.stderr}`).toBe(0);
  });
});
