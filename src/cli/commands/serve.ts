// `canary serve`: parses options and hands them to src/search/serve-command.ts.
import type { ServeOptions } from '../../search/serve-command.js';
import type { RegisterCommand } from './index.js';

export const registerServe: RegisterCommand = (program) => {
  program
    .command('serve')
    .description('run the AI search service (search API, feedback, flag admin, health, /metrics)')
    .option('--port <n>', 'port to listen on (default: SEARCH_PORT, else 3000; 0 picks a free one)')
    .option(
      '--metrics-port <n>',
      'also serve /metrics on this port, from a thread of its own (default: SEARCH_METRICS_PORT, else none; 0 picks a free one)',
    )
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option(
      '--data-dir <dir>',
      'where the contacts database and flag file live (default: DATA_DIR, else data/)',
    )
    .option(
      '--contacts <n>',
      'contacts to generate in a new database (default: AI_SEARCH_SEED_CONTACTS, else 50000)',
    )
    .option('--env <name>', 'also read .env.<name> (e.g. staging, production)')
    .option(
      '--client-rate-limit <n>',
      'requests per second per client on /api/* (0 = off; default 100, burst 200)',
    )
    .option(
      '--db-readers <n>',
      'worker threads that run searches, each with a read-only connection (0 = on the event loop; default min(2, cores))',
    )
    .option(
      '--result-cache <n>',
      'contacts kept in the search result cache, over all cached searches (0 = off; default 20000)',
    )
    .option('--migrate-only', 'apply the database migrations and exit (npm run db:migrate)')
    .action(async (o: ServeOptions) => {
      const { runServe } = await import('../../search/serve-command.js');
      process.exitCode = await runServe(o);
    });
};
