// One replica of `npm run bench:propagation`: a process that follows the PostgreSQL flag store with
// the service's own evaluator (PgFlagProvider + flagd-core) and reports, over IPC, the moment its
// evaluation for an internal user changes (off = the search service answers in keyword mode).
// Times are performance.timeOrigin + performance.now(): one clock for every process on the host.
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { createFlagEvaluator } from '../../src/flags/evaluator.js';
import { AI_SEARCH_FLAG } from '../../src/flags/types.js';

const [url, name] = process.argv.slice(2);
if (!url || !name || !process.send) throw new Error('usage: fork with <FLAGS_URL> <name> and IPC');
const send = (msg: unknown) => process.send!(msg);
const now = () => performance.timeOrigin + performance.now();

const flags = await createFlagEvaluator({
  path: '/unused',
  bootstrap: {
    aiSearchEnabled: false,
    rolloutPercentage: 0,
    internalUsers: true,
    betaUsers: false,
  },
  logger: pino({ level: 'warn' }),
  postgres: { url, staleAfterMs: 30_000, policy: 'off' },
});
const value = async () =>
  (await flags.evaluate(AI_SEARCH_FLAG, 'bench-user', 'internal-users')).value;
let last = await value();
flags.onChange(() => {
  void value().then((v) => {
    if (v === last) return;
    last = v;
    send({ name, value: v, at: now() });
  });
});
send({ name, ready: true, value: last });
process.on('disconnect', () => void flags.close().then(() => process.exit(0)));
