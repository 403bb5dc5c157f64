// Leadership from a lease row in the PostgreSQL flag store (migrations/flags/0003_leader_lease.sql):
// the holder renews it on each look; anyone may take it once it has expired.
//
// Why a lease row and not an advisory lock on a dedicated session: an advisory lock is released
// only when PostgreSQL notices the session is gone. A killed process closes its socket and frees
// the lock at once, but a host cut off from the database (a partition, a pulled cable) keeps its
// session open on the server until TCP keepalive gives up (minutes to hours by default) while the
// holder itself can no longer tell whether it still holds it. A lease has one bound for every
// failure: the takeover comes at most `ttlMs` after the holder's last renewal, plus one
// look-interval of the taker (`renewEveryMs`), and the holder fences itself by its own clock,
// stopping `ttlMs` (less a margin) after it sent its last successful renewal, before the server's
// expiry, whatever the network does.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { systemClock, type Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { redactUrl } from '../../flags/flags-url.js';
import type { Leadership } from './leadership.js';

export interface PgLeaderLeaseOptions {
  readonly url: string;
  readonly logger: Logger;
  /** Which lease (one per kind of single-daemon work); `rollout` by default. */
  readonly name?: string;
  /** Who asks, for the row and the status page; host:pid:random by default. */
  readonly holder?: string;
  /** How long a renewal holds; 15 s by default. */
  readonly ttlMs?: number;
  /** Ask the database at most this often; ttlMs / 3 by default. */
  readonly renewEveryMs?: number;
  readonly clock?: Clock;
}

export interface PgLeaderLease extends Leadership {
  /** Gives the lease up at once (a clean stop), so another daemon need not wait for the expiry. */
  release(): Promise<void>;
  /** Releases and closes the connection. */
  close(): Promise<void>;
}

/** Take the lease if it is free, expired or ours; renew it if ours. One statement, one row lock. */
const ACQUIRE = `
INSERT INTO leader_lease (name, holder, expires_at, acquired_at)
VALUES ($1, $2, now() + make_interval(secs => $3::double precision / 1000), now())
ON CONFLICT (name) DO UPDATE
  SET holder = EXCLUDED.holder,
      expires_at = EXCLUDED.expires_at,
      acquired_at = CASE WHEN leader_lease.holder = EXCLUDED.holder
                         THEN leader_lease.acquired_at ELSE now() END
  WHERE leader_lease.holder = EXCLUDED.holder OR leader_lease.expires_at < now()
RETURNING holder`;

const CURRENT = `SELECT holder, expires_at FROM leader_lease WHERE name = $1 AND expires_at >= now()`;

/** Of the local bound, the share a holder trusts (clock rate differences, a slow reply). */
const SAFETY = 0.9;

export function createPgLeaderLease(o: PgLeaderLeaseOptions): PgLeaderLease {
  const clock = o.clock ?? systemClock;
  const name = o.name ?? 'rollout';
  const me = o.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const ttlMs = o.ttlMs ?? 15_000;
  const renewEveryMs = o.renewEveryMs ?? Math.floor(ttlMs / 3);
  const where = redactUrl(o.url);
  // A renewal that takes longer than the lease is worth nothing: the query gives up before.
  const pool = new pg.Pool({
    connectionString: o.url,
    max: 1,
    connectionTimeoutMillis: Math.max(1000, Math.floor(ttlMs / 3)),
    query_timeout: Math.max(1000, Math.floor(ttlMs / 3)),
    application_name: 'canary-leader-lease',
  });
  pool.on('error', (err) =>
    o.logger.warn({ err: err.message, store: where }, 'lease connection lost'),
  );

  let validUntil = 0; // local clock: until when this daemon may act as the leader
  let lastAskAt = -Infinity;
  let other: string | undefined; // the holder seen on the last look, when not us
  let lastError: string | undefined;
  let inFlight: Promise<boolean> | undefined;

  const held = () => clock.now() < validUntil;

  async function ask(): Promise<boolean> {
    const sentAt = clock.now();
    lastAskAt = sentAt;
    try {
      const won = await pool.query<{ holder: string }>(ACQUIRE, [name, me, ttlMs]);
      lastError = undefined;
      if (won.rowCount === 1) {
        if (!held()) o.logger.info({ lease: name, holder: me }, `leader: took the ${name} lease`);
        validUntil = sentAt + ttlMs * SAFETY;
        other = undefined;
        return true;
      }
      if (held()) o.logger.warn({ lease: name, holder: me }, `no longer the ${name} leader`);
      validUntil = 0;
      const now = await pool.query<{ holder: string }>(CURRENT, [name]);
      other = now.rows[0]?.holder;
      return false;
    } catch (err) {
      const error = (err as Error).message;
      if (error !== lastError)
        o.logger.warn(
          { lease: name, store: where, error, leaderUntil: held() ? validUntil : null },
          `cannot renew the ${name} lease (${error}); ${held() ? 'still the leader until its local bound' : 'not the leader'}`,
        );
      lastError = error;
      return held();
    }
  }

  return {
    isLeader() {
      if (clock.now() - lastAskAt < renewEveryMs) return Promise.resolve(held());
      inFlight ??= ask().finally(() => (inFlight = undefined));
      return inFlight;
    },
    describe() {
      if (held()) return `postgres lease "${name}" held by ${me} (this daemon)`;
      if (lastError)
        return `postgres lease "${name}": store unreachable (${lastError}); not the leader`;
      return `postgres lease "${name}" held by ${other ?? 'nobody'}; this daemon (${me}) waits`;
    },
    async release() {
      validUntil = 0;
      await pool
        .query('DELETE FROM leader_lease WHERE name = $1 AND holder = $2', [name, me])
        .catch((err: unknown) =>
          o.logger.warn(
            { lease: name, error: (err as Error).message },
            'could not release the lease; it expires by itself',
          ),
        );
    },
    async close() {
      await this.release();
      await pool.end();
    },
  };
}
