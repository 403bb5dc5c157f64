// `canary daemon` bad usage and bad input: exit 2 with a message that says what is wrong.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(os.tmpdir(), 'canary-daemon-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(process.execPath, ['bin/canary.js', 'daemon', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, DATA_DIR: dir, CANARY_PORT: '0', PROMETHEUS_URL: 'http://127.0.0.1:9' },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('canary daemon bad input', () => {
  it('an invalid rule file stops start-up with file:line:col and exit 2', () => {
    const file = path.join(dir, 'broken.yml');
    writeFileSync(
      file,
      'groups:\n  - name: g\n    rules:\n      - alert: a\n        expr: rate(x[5m]\n',
    );
    const r = run(['--rules', file]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:\\d+: `));
  });

  it.each([
    [['--rules', 'x.yml', '--interval', 'soon'], /--interval.*expected a duration such as/],
    [
      ['--rules', 'x.yml', '--webhook', 'ops=http://x'],
      /expected TEAM=URL with TEAM one of dev_team, product_team/,
    ],
    [['--rules', 'x.yml', '--prometheus-url', 'ftp://x'], /--prometheus-url/],
    [[], /required option '--rules <file...>'/],
  ])('%j → exit 2', (args, message) => {
    const r = run(args);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(message);
  });
});
