// Each client's bounded share of the LLM calls, so that no single client can move the AI error
// ratio the rollback rule watches. A client is a user id and, separately, a client address (one
// address rotating x-user-id is still one client). Within any sliding window of `windowMs` (the
// rule's 5 minutes) each key is charged at most `calls` LLM calls.
//
// A search may make up to one call per provider (the fallback chain), so admission reserves that
// many (`reserve`), and the search then settles the reservation to the calls it really made (none
// for a cache hit, a rejected query or a shared in-flight call). Pending reservations never expire,
// so a slow search cannot let a burst slip in behind it; a settled charge is stamped with the time
// the calls ended, which is when Prometheus counts them. Hence, for any window of that length:
// calls charged to one key <= `calls`. docs/llm.md turns this into the bound on ai_error_ratio.
import type { Clock } from '../shared/clock.js';
import { LruMap } from '../shared/lru-map.js';

export interface ClientShareOptions {
  /** LLM calls per key per window; must be at least `reserve`. */
  readonly calls: number;
  readonly windowMs: number;
  /** Calls one search may make at most: the length of the provider chain. */
  readonly reserve: number;
  /** Keys remembered per kind (users, addresses); the least recently seen is forgotten first. */
  readonly maxKeys?: number;
}

export interface ClientKeys {
  readonly userId: string;
  readonly address: string;
}

export type ShareAdmission =
  | { readonly ok: true; settle(callsMade: number): void }
  | { readonly ok: false; readonly exceeded: 'user' | 'address' };

interface Charge {
  at: number;
  calls: number;
  pending: boolean;
}

const DEFAULT_MAX_KEYS = 10_000;
/** A reservation never settled this long (past AI_SEARCH_TIMEOUT's maximum) is a bug, not a search. */
const PENDING_LIMIT_MS = 15 * 60_000;

/** One kind of key: its charges, newest last, in a bounded LRU. */
class Ledger {
  private readonly keys: LruMap<string, Charge[]>;
  constructor(maxKeys: number) {
    this.keys = new LruMap(maxKeys);
  }

  charges(key: string, since: number, now: number): Charge[] {
    // A settled search that made no call leaves no trace (and takes no memory).
    const kept = (this.keys.get(key) ?? []).filter((c) =>
      c.pending ? c.at > now - PENDING_LIMIT_MS : c.at > since && c.calls > 0,
    );
    this.keys.set(key, kept); // now the most recently used
    return kept;
  }
}

export class ClientShare {
  private readonly users: Ledger;
  private readonly addresses: Ledger;

  constructor(
    private readonly options: ClientShareOptions,
    private readonly clock: Clock,
  ) {
    if (options.calls < options.reserve) {
      throw new RangeError(`a share of ${options.calls} calls never admits ${options.reserve}`);
    }
    const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    this.users = new Ledger(maxKeys);
    this.addresses = new Ledger(maxKeys);
  }

  admit(client: ClientKeys): ShareAdmission {
    const now = this.clock.now();
    const since = now - this.options.windowMs;
    const byUser = this.users.charges(client.userId, since, now);
    const byAddress = this.addresses.charges(client.address, since, now);
    if (!this.fits(byUser)) return { ok: false, exceeded: 'user' };
    if (!this.fits(byAddress)) return { ok: false, exceeded: 'address' };
    const held = [byUser, byAddress].map((list) => {
      const charge: Charge = { at: now, calls: this.options.reserve, pending: true };
      list.push(charge);
      return charge;
    });
    let settled = false;
    return {
      ok: true,
      settle: (callsMade) => {
        if (settled) return;
        settled = true;
        const at = this.clock.now();
        for (const charge of held) {
          charge.pending = false;
          charge.at = at;
          charge.calls = Math.min(Math.max(0, callsMade), this.options.reserve);
        }
      },
    };
  }

  private fits(charges: readonly Charge[]): boolean {
    const used = charges.reduce((sum, c) => sum + c.calls, 0);
    return used + this.options.reserve <= this.options.calls;
  }
}
