// Opens the flag store at a location for a one-off command (the CLI, a migration): the file, or
// PostgreSQL with its schema migrated (idempotent) and, unless told otherwise, the bootstrap flags
// inserted where missing, as the service does on start-up.
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import { createFileFlagStore } from './file-flag-store.js';
import type { FlagsLocation } from './flags-url.js';
import type { FlagStore } from './types.js';

export async function openStore(
  loc: FlagsLocation,
  config: Config,
  logger: Logger,
  options: { seed: boolean } = { seed: true },
): Promise<{ store: FlagStore; close: () => Promise<void> }> {
  if (loc.kind === 'file') {
    const store = createFileFlagStore({ path: loc.path, bootstrap: config.bootstrap, logger });
    return { store, close: async () => {} };
  }
  // Loaded only for PostgreSQL: the file store's commands (the kill switch among them) never load
  // the database client, so they start as fast as before and cannot fail on it.
  const { createPgFlagStore } = await import('./postgres/pg-flag-store.js');
  const store = createPgFlagStore({ url: loc.url, bootstrap: config.bootstrap, logger });
  try {
    await store.migrate();
    if (options.seed) await store.ensureSeeded();
  } catch (err) {
    await store.close();
    throw err;
  }
  return { store, close: () => store.close() };
}
