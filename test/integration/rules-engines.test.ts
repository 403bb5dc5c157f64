// Which rule features each engine accepts: Prometheus 2.42 (promtool check rules), vmalert 1.79
// (`vmalert -dryRun`, Debian's victoria-metrics package) and the canary daemon's own loader
// (`canary rules check`). One small rule file per feature goes through all three; the expected
// answers are the table in docs/backends.md, so a new engine version that changes one fails here
// and the table is corrected with it. Last, vmalert must accept the project's own rules/*.yml (they
// use no keep_firing_for), so a deployment can run them on vmalert as the backstop.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRuleFiles } from '../../src/canary/rules/check-rules.js';
import { findRuleFiles } from '../../src/stack/rule-files.js';
import { which } from '../harness/index.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), 'canary-rule-engines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Verdict = 'accepts' | 'rejects';
interface Feature {
  readonly name: string;
  /** The group body below `- name: g`, indented by 4. */
  readonly group: string;
  readonly prometheus: Verdict;
  readonly vmalert: Verdict;
  readonly canary: Verdict;
}

const alert = (extra = '', expr = 'up == 0') =>
  `    rules:\n      - alert: a\n        expr: ${expr}\n${extra}`;

/** docs/backends.md, "Rule features per engine". */
export const FEATURES: readonly Feature[] = [
  {
    name: 'alert with for',
    group: alert('        for: 1m\n'),
    prometheus: 'accepts',
    vmalert: 'accepts',
    canary: 'accepts',
  },
  {
    name: 'keep_firing_for',
    group: alert('        keep_firing_for: 5m\n'),
    prometheus: 'accepts',
    vmalert: 'rejects',
    canary: 'accepts',
  },
  {
    name: 'group interval',
    group: `    interval: 30s\n${alert()}`,
    prometheus: 'accepts',
    vmalert: 'accepts',
    canary: 'accepts',
  },
  {
    name: 'group limit',
    group: `    limit: 10\n${alert()}`,
    prometheus: 'accepts',
    vmalert: 'accepts',
    canary: 'rejects',
  },
  {
    name: 'group query_offset (Prometheus 2.53+)',
    group: `    query_offset: 1m\n${alert()}`,
    prometheus: 'rejects',
    vmalert: 'rejects',
    canary: 'rejects',
  },
  {
    name: 'group concurrency (vmalert only)',
    group: `    concurrency: 2\n${alert()}`,
    prometheus: 'rejects',
    vmalert: 'accepts',
    canary: 'rejects',
  },
  {
    name: 'offset',
    group: alert('', 'rate(up[5m] offset 1h) > 0'),
    prometheus: 'accepts',
    vmalert: 'accepts',
    canary: 'accepts',
  },
  {
    name: '@ modifier',
    group: alert('', 'up @ end() == 0'),
    prometheus: 'accepts',
    vmalert: 'accepts',
    canary: 'accepts',
  },
  {
    name: 'subquery',
    group: alert('', 'max_over_time(rate(up[1m])[10m:1m]) > 0'),
    prometheus: 'accepts',
    vmalert: 'accepts',
    canary: 'accepts',
  },
  {
    name: 'MetricsQL function (rollup_rate)',
    group: alert('', 'rollup_rate(up[5m]) > 0'),
    prometheus: 'rejects',
    vmalert: 'accepts',
    canary: 'rejects',
  },
  {
    name: 'annotation template: $labels, $value, humanizePercentage',
    group: alert(
      '        annotations:\n          summary: "{{ $labels.job }} at {{ $value | humanizePercentage }}"\n',
    ),
    prometheus: 'accepts',
    vmalert: 'accepts',
    canary: 'accepts',
  },
  {
    name: 'annotation template: query, with',
    group: alert(
      '        annotations:\n          summary: "{{ with query \\"up\\" }}{{ . | first | value }}{{ end }}"\n',
    ),
    prometheus: 'accepts',
    vmalert: 'accepts',
    canary: 'rejects',
  },
  {
    name: 'label template',
    group: alert('        labels:\n          where: "{{ $labels.instance }}"\n'),
    prometheus: 'accepts',
    vmalert: 'accepts',
    canary: 'accepts',
  },
  {
    name: 'unknown rule field',
    group: alert('        severity: page\n'),
    prometheus: 'rejects',
    vmalert: 'rejects',
    canary: 'rejects',
  },
];

const promtool = which('promtool');
const vmalert = which('vmalert');

async function verdict(cmd: string, args: string[]): Promise<Verdict> {
  try {
    await run(cmd, args, { timeout: 60_000 });
    return 'accepts';
  } catch {
    return 'rejects';
  }
}

describe.skipIf(!promtool || !vmalert)(
  'rule features per engine (skipped without promtool and vmalert: scripts/ensure-tools.sh installs them)',
  () => {
    it.each(FEATURES.map((f, i) => [f.name, f, i] as const))('%s', async (_name, f, i) => {
      const file = path.join(dir, `feature-${i}.yml`);
      writeFileSync(file, `groups:\n  - name: g\n${f.group}`);
      const got = {
        prometheus: await verdict(promtool!, ['check', 'rules', file]),
        vmalert: await verdict(vmalert!, [`-rule=${file}`, '-dryRun', '-loggerLevel=ERROR']),
        canary: (await checkRuleFiles([file])).ok ? 'accepts' : 'rejects',
      };
      expect(got).toEqual({ prometheus: f.prometheus, vmalert: f.vmalert, canary: f.canary });
    });

    it("vmalert accepts the project's rules/*.yml", async () => {
      const files = findRuleFiles(path.resolve('rules'));
      expect(files.length).toBeGreaterThan(0);
      const args = [...files.map((f) => `-rule=${f}`), '-dryRun', '-loggerLevel=ERROR'];
      expect(await verdict(vmalert!, args)).toBe('accepts');
    });
  },
);
