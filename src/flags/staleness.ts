// What a replica knows about its link to the flag store, and what it does when the link is gone:
// pure functions of (link, now, settings), so the policy is tested by tables, not by outages.
//
// A replica that loses the store keeps its last known flags: a database restart must not change
// what users are served. After FLAGS_STALE_AFTER it follows FLAGS_STALE_POLICY:
//   off  (the default) every flag is served off, as if the kill switch had been pulled;
//   keep the last known flags stay in force, however old.
// Why off by default: a replica that cannot hear the store cannot hear a rollback either. The
// kill switch must reach every replica, and the only way to honour an "off" that cannot be heard
// is to assume it. The cost, AI search off on a cut-off replica, is the state the kill switch
// itself produces, and keyword search is what every replica already serves on any doubt.
import type { FlagsStalePolicy } from '../shared/config.js';

export interface StaleSettings {
  readonly staleAfterMs: number;
  readonly policy: FlagsStalePolicy;
}

/** What the provider observed; `lostAt` is set while disconnected. */
export interface LinkState {
  readonly connected: boolean;
  /** The store's flags have been read at least once (there are last known flags). */
  readonly synced: boolean;
  readonly lostAt: number | undefined;
  readonly lastError: string | undefined;
}

export type StoreHealth =
  | { readonly kind: 'connected' }
  /** Never read the store: nothing is known, every flag is served off (the code default). */
  | { readonly kind: 'never-synced'; readonly error: string }
  /** Lost, still within FLAGS_STALE_AFTER: the last known flags are served. */
  | { readonly kind: 'disconnected'; readonly forMs: number; readonly error: string }
  /** Lost for longer than FLAGS_STALE_AFTER: the policy is in force. */
  | {
      readonly kind: 'stale';
      readonly forMs: number;
      readonly error: string;
      readonly policy: FlagsStalePolicy;
    };

export function storeHealth(link: LinkState, now: number, s: StaleSettings): StoreHealth {
  const error = link.lastError ?? 'not connected';
  if (!link.synced) return { kind: 'never-synced', error };
  if (link.connected || link.lostAt === undefined) return { kind: 'connected' };
  const forMs = Math.max(0, now - link.lostAt);
  return forMs < s.staleAfterMs
    ? { kind: 'disconnected', forMs, error }
    : { kind: 'stale', forMs, error, policy: s.policy };
}

/** Whether the flags in force must be replaced by "everything off". */
export function servesAllOff(h: StoreHealth): boolean {
  return h.kind === 'stale' && h.policy === 'off';
}

export interface HealthReport {
  /** False only when there is nothing to serve from (never synced). */
  readonly ready: boolean;
  /** For anyone (no URL, no error text); undefined when connected. */
  readonly reason?: string;
  /** With the error, for admin-token holders and the log. */
  readonly detail?: string;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

export function describeHealth(h: StoreHealth, s: StaleSettings): HealthReport {
  switch (h.kind) {
    case 'connected':
      return { ready: true };
    case 'never-synced':
      return {
        ready: false,
        reason: 'flags not loaded: the flag store has not been reached yet',
        detail: `flags not loaded: the flag store has not been reached yet (${h.error}); every flag is served off until it is`,
      };
    case 'disconnected': {
      const reason = `flag store unreachable for ${seconds(h.forMs)}: serving the last known flags; after ${seconds(s.staleAfterMs)} FLAGS_STALE_POLICY=${s.policy} applies`;
      return { ready: true, reason, detail: `${reason} (${h.error})` };
    }
    case 'stale': {
      const reason =
        h.policy === 'off'
          ? `flag store unreachable for ${seconds(h.forMs)}: every flag served off (FLAGS_STALE_POLICY=off) until it is back`
          : `flag store unreachable for ${seconds(h.forMs)}: still serving the last known flags (FLAGS_STALE_POLICY=keep), so this replica cannot hear a rollback`;
      return { ready: true, reason, detail: `${reason} (${h.error})` };
    }
  }
}
