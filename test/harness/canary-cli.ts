// The `canary` command as a user runs it (bin/canary.js, no build step), waiting for it to exit.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');

export function runCanary(...args: string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
} {
  const out = spawnSync(process.execPath, [join(root, 'bin/canary.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}
