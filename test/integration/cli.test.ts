// The `canary` command as a user runs it: through bin/canary.js, with no build step.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['bin/canary.js', ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });

describe('canary CLI', () => {
  it('lists every command in --help', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const cmd of [
      'flags',
      'rules',
      'rollout',
      'daemon',
      'backtest',
      'serve',
      'llm-sim',
      'chaos',
      'start',
      'health-check',
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
    }
  });

  it('exits 2 with a message on an unknown command', () => {
    const r = run(['no-such-command']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'no-such-command'/);
  });

  it('exits 2 naming an unknown command asked for its help, instead of the top-level help', () => {
    const r = run(['no-such-command', '--help']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'no-such-command'/);
    expect(r.stdout).not.toMatch(/Usage: canary/);
  });

  it('prints the package version with --version', () => {
    const r = run(['--version']);
    expect(r.status).toBe(0);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('stops with the variable name when the environment holds a bad value', () => {
    const r = run(['flags', 'list'], { AI_SEARCH_TIMEOUT: 'soon' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('AI_SEARCH_TIMEOUT');
    expect(r.stderr).toMatch(/milliseconds/);
  });
});
