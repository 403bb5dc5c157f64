// A child process holding several `canary flags update` writers: the CLI's command runner, each
// call with its own store and so its own lock attempts, run concurrently once the parent says
// "go". Booting tsx once per process instead of once per writer keeps a 50-writer race affordable
// on two cores while the writers still contend through the lock file, across processes too.
// Usage: node --import tsx flag-writers.ts <first index> <count>; prints one JSON line of results.
import { createInterface } from 'node:readline';
import { runFlagsCommand, type CliIo } from '../../../src/flags/flags-command.js';
import { AI_SEARCH_FLAG } from '../../../src/flags/types.js';

export interface WriterResult {
  readonly index: number;
  readonly code: number;
  readonly stderr: string;
}

async function writer(index: number): Promise<WriterResult> {
  const err: string[] = [];
  const io: CliIo = {
    out: () => {},
    err: (t) => err.push(t),
    env: process.env,
    cwd: process.cwd(),
  };
  const options = {
    flag: AI_SEARCH_FLAG,
    percentage: String(index + 1),
    actor: `writer-${index}`,
    reason: 'race',
  };
  const code = await runFlagsCommand({ name: 'update', options }, {}, io);
  return { index, code, stderr: err.join('\n') };
}

const [first, count] = process.argv.slice(2).map(Number) as [number, number];
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'go') continue;
  const results = await Promise.all(Array.from({ length: count }, (_, k) => writer(first + k)));
  process.stdout.write(`${JSON.stringify(results)}\n`);
  break;
}
process.stdin.destroy();
