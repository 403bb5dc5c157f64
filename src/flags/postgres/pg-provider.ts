// An OpenFeature provider that follows the PostgreSQL flag store and evaluates with flagd's own
// engine, exactly as the file provider does. One dedicated connection LISTENs on canary_flags:
// each committed change arrives as (key, version, definition) and is applied at once, newer
// versions only. On every (re)connect the provider LISTENs first and then reads the whole table,
// so nothing committed while it was away is missed. A heartbeat on the same connection notices a
// silent network cut that TCP alone would take minutes to report.
//
// While the link is down the last known flags stay in force; after FLAGS_STALE_AFTER the declared
// policy applies (src/flags/staleness.ts says which and why). Timers are unref'd: the provider
// never keeps a process alive.
import { ProviderEvents } from '@openfeature/server-sdk';
import pg from 'pg';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { renderFlagFile } from '../flag-file.js';
import { FlagdEngineProvider } from '../flagd-engine-provider.js';
import { redactUrl } from '../flags-url.js';
import { makeSpec } from '../rollout.js';
import {
  describeHealth,
  servesAllOff,
  storeHealth,
  type StaleSettings,
  type StoreHealth,
} from '../staleness.js';
import type { RolloutSpec } from '../types.js';
import { isValid, rowFrom, selectFlags, type FlagRow } from './flag-rows.js';

export const FLAGS_CHANNEL = 'canary_flags';

export interface PgProviderOptions extends StaleSettings {
  readonly url: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** How often the link is checked; 2 s by default. A failed or slow check counts as lost. */
  readonly heartbeatMs?: number;
  /** Longest wait between reconnect attempts; 2 s by default (the first retry is at 100 ms). */
  readonly maxBackoffMs?: number;
}

interface Known {
  readonly version: number;
  readonly spec: RolloutSpec;
}

export class PgFlagProvider extends FlagdEngineProvider {
  readonly metadata = { name: 'canary-flag-postgres' } as const;
  private readonly clock: Clock;
  private readonly where: string;
  private known = new Map<string, Known>();
  private invalid = new Map<string, string>();
  private client: pg.Client | undefined;
  /** Bumped per connection: events of an abandoned connection are ignored. */
  private generation = 0;
  private connected = false;
  private synced = false;
  private lostAt: number | undefined;
  private lastError: string | undefined;
  private allOff = false;
  private timers = new Set<NodeJS.Timeout>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** When the stale policy is due (one per outage). */
  private policyDue: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  constructor(private readonly opts: PgProviderOptions) {
    super(opts.logger);
    this.clock = opts.clock ?? systemClock;
    this.where = redactUrl(opts.url);
  }

  /** The link to the store and what it means now (for /readyz and the gauge). */
  health(): StoreHealth {
    return storeHealth(
      {
        connected: this.connected,
        synced: this.synced,
        lostAt: this.lostAt,
        lastError: this.lastError,
      },
      this.clock.now(),
      this.opts,
    );
  }

  /** A flag whose stored definition is invalid (its last good definition stays in force). */
  get lastLoadError(): string | undefined {
    const [key, problem] = [...this.invalid][0] ?? [];
    return key ? `${this.where}: ${problem}` : undefined;
  }

  /** Resolves after the first attempt, reached or not: a replica starts serving either way. */
  async initialize(): Promise<void> {
    await this.connect();
  }

  async onClose(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    clearInterval(this.heartbeat);
    clearTimeout(this.policyDue);
    this.generation++;
    await this.client?.end().catch(() => undefined);
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const gen = ++this.generation;
    const client = new pg.Client({
      connectionString: this.opts.url,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      application_name: 'canary-flags-listener',
    });
    this.client = client;
    client.on('error', (err) => this.lost(gen, err));
    client.on('end', () => this.lost(gen, new Error('the connection was closed')));
    client.on('notification', (msg) => {
      if (gen === this.generation && msg.channel === FLAGS_CHANNEL) this.onNotify(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${FLAGS_CHANNEL}`);
      // After LISTEN: a change committed from here on is either in this read or notified.
      const rows = await selectFlags(client);
      if (gen !== this.generation) return;
      this.up(gen);
      this.resync(rows);
    } catch (err) {
      this.lost(gen, err);
      client.end().catch(() => undefined);
    }
  }

  private up(gen: number): void {
    const wasLost = this.lostAt;
    this.connected = true;
    this.lostAt = undefined;
    this.lastError = undefined;
    this.failures = 0;
    clearTimeout(this.policyDue);
    this.policyDue = undefined;
    if (wasLost !== undefined)
      this.opts.logger.info(
        { store: this.where, downMs: this.clock.now() - wasLost },
        `flag store ${this.where} reachable again; flags resynced`,
      );
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => void this.check(gen), this.opts.heartbeatMs ?? 2_000);
    this.heartbeat.unref();
  }

  /** One round trip within the heartbeat period, or the link counts as lost. */
  private async check(gen: number): Promise<void> {
    const client = this.client;
    if (!client || gen !== this.generation) return;
    const limit = this.opts.heartbeatMs ?? 2_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${limit} ms`)), limit);
    });
    try {
      await Promise.race([client.query('SELECT 1'), timeout]);
    } catch (err) {
      this.lost(gen, err);
      client.end().catch(() => undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  private lost(gen: number, err: unknown): void {
    if (gen !== this.generation || this.closed) return;
    this.generation++; // this connection is abandoned; its later events are ignored
    clearInterval(this.heartbeat);
    const message = (err as Error).message ?? String(err);
    const first = this.lostAt === undefined && (this.connected || this.failures === 0);
    this.connected = false;
    this.lastError = message;
    this.lostAt ??= this.clock.now();
    if (first)
      this.opts.logger.warn(
        { store: this.where, error: message },
        `lost the flag store ${this.where} (${message}): ${this.synced ? 'serving the last known flags' : 'every flag off until it is reached'}; reconnecting`,
      );
    // The policy takes effect the moment FLAGS_STALE_AFTER has passed, not at the next attempt.
    if (!this.policyDue) {
      const due = Math.max(0, this.lostAt + this.opts.staleAfterMs - this.clock.now());
      this.policyDue = setTimeout(() => {
        this.policyDue = undefined;
        this.applyPolicy();
      }, due);
      this.policyDue.unref();
    }
    const backoff = Math.min(this.opts.maxBackoffMs ?? 2_000, 100 * 2 ** this.failures++);
    this.later(backoff, () => void this.connect());
  }

  private onNotify(payload: string | undefined): void {
    let msg: { flag?: unknown; version?: unknown; definition?: unknown };
    try {
      msg = JSON.parse(payload ?? '') as typeof msg;
    } catch {
      return this.opts.logger.warn({ payload }, 'ignored a flag notification that is not JSON');
    }
    if (typeof msg.flag !== 'string' || typeof msg.version !== 'number') return;
    const current = this.known.get(msg.flag);
    if (current && current.version >= msg.version) return; // older than what we hold
    this.take(rowFrom(msg.flag, msg.version, msg.definition));
    this.publish();
  }

  private resync(rows: readonly FlagRow[]): void {
    this.known = new Map();
    this.invalid = new Map();
    for (const row of rows) this.take(row);
    this.synced = true;
    this.publish();
  }

  /** A valid row replaces the flag; an invalid one is reported and the last good one kept. */
  private take(row: FlagRow): void {
    if (isValid(row.spec)) {
      this.known.set(row.key, { version: row.version, spec: row.spec });
      this.invalid.delete(row.key);
      return;
    }
    if (this.invalid.get(row.key) !== row.spec.invalid)
      this.opts.logger.error(
        { flag: row.key, store: this.where },
        `flag ${row.key} in ${this.where} is invalid (${row.spec.invalid}); ${this.known.has(row.key) ? 'keeping its last good definition' : 'serving it off'} until it is fixed`,
      );
    this.invalid.set(row.key, row.spec.invalid);
  }

  private applyPolicy(): void {
    if (this.closed || this.allOff === servesAllOff(this.health())) return;
    this.publish();
  }

  /** Loads what is in force into flagd: the known flags, or all of them off under the policy. */
  private publish(): void {
    const health = this.health();
    const off = servesAllOff(health);
    if (off && !this.allOff)
      this.opts.logger.error(
        { store: this.where },
        describeHealth(health, this.opts).detail ?? 'flag store stale: every flag off',
      );
    this.allOff = off;
    const specs = new Map(
      [...this.known].map(([k, v]) => [
        k,
        off ? makeSpec(false, { ...v.spec.percentages }) : v.spec,
      ]),
    );
    const changed = this.core.setConfigurations(renderFlagFile(specs));
    if (changed.length > 0)
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
  }
}
