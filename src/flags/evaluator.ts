// Flag evaluation for the search service: the OpenFeature server SDK in front of the provider of
// wherever the flags live (the flag file, or PostgreSQL with FLAGS_URL). Each evaluator binds its
// provider to its own OpenFeature domain, so several can live in one process (tests, the
// propagation bench's replicas, or a service and an admin tool) without replacing each other's.
import { randomUUID } from 'node:crypto';
import { NOOP_PROVIDER, OpenFeature, ProviderEvents } from '@openfeature/server-sdk';
import type { Config } from '../shared/config.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { FileFlagProvider } from './file-provider.js';
import { PgFlagProvider } from './postgres/pg-provider.js';
import { describeHealth, type HealthReport, type StaleSettings } from './staleness.js';
import type { FlagDecision, UserSegment } from './types.js';

export interface FlagEvaluatorOptions {
  readonly path: string;
  readonly bootstrap: Config['bootstrap'];
  readonly logger: Logger;
  /** Follow this PostgreSQL store instead of the file at `path`. */
  readonly postgres?: StaleSettings & { readonly url: string; readonly heartbeatMs?: number };
  readonly clock?: Clock;
  /** Safety-net poll interval in ms (the folder watch normally sees a change first). */
  readonly pollMs?: number;
  /** OpenFeature domain; a unique one by default. */
  readonly domain?: string;
}

export interface FlagEvaluator {
  /** Never throws: an unknown flag or an engine error gives the code default, off. */
  evaluate(flag: string, userId: string, segment: UserSegment): Promise<FlagDecision>;
  /** Called after the flag definitions in force change; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
  /** Why the stored flags are not being served (corrupt, unreadable), for /readyz; else undefined. */
  lastLoadError(): string | undefined;
  /** The link to the flag store: always connected for the file; see staleness.ts for PostgreSQL. */
  storeConnected(): boolean;
  /** What /readyz says about that link (nothing while connected). */
  storeHealth(): HealthReport;
  close(): Promise<void>;
}

export async function createFlagEvaluator(opts: FlagEvaluatorOptions): Promise<FlagEvaluator> {
  const pgOpts = opts.postgres;
  const provider = pgOpts
    ? new PgFlagProvider({
        ...pgOpts,
        logger: opts.logger,
        ...(opts.clock ? { clock: opts.clock } : {}),
      })
    : new FileFlagProvider({
        path: opts.path,
        bootstrap: opts.bootstrap,
        logger: opts.logger,
        ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
      });
  const domain = opts.domain ?? `canary-flags-${randomUUID()}`;
  await OpenFeature.setProviderAndWait(domain, provider);
  const client = OpenFeature.getClient(domain);

  return {
    async evaluate(flag, userId, segment) {
      const d = await client.getBooleanDetails(flag, false, { targetingKey: userId, segment });
      return {
        value: d.value,
        variant: d.variant ?? (d.value ? 'on' : 'off'),
        reason: d.reason ?? 'UNKNOWN',
        ...(d.errorCode !== undefined ? { errorCode: d.errorCode } : {}),
      };
    },
    onChange(listener) {
      const handler = () => listener();
      client.addHandler(ProviderEvents.ConfigurationChanged, handler);
      return () => client.removeHandler(ProviderEvents.ConfigurationChanged, handler);
    },
    lastLoadError: () => provider.lastLoadError,
    storeConnected: () =>
      provider instanceof PgFlagProvider ? provider.health().kind === 'connected' : true,
    storeHealth: () =>
      pgOpts && provider instanceof PgFlagProvider
        ? describeHealth(provider.health(), pgOpts)
        : { ready: true },
    async close() {
      await provider.onClose();
      await OpenFeature.setProviderAndWait(domain, NOOP_PROVIDER);
    },
  };
}
