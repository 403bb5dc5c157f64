// One immutable picture of the daemon, published after every evaluation (and as soon as a rule
// queried alone, such as a rollback rule, is settled), reload, action record and rollout look or
// command: the only thing the web layer (http-server.ts, status-page.ts) reads. It is built here,
// in one place, from the live objects, then frozen all the way down, so a request never sees a
// half-updated state and never reaches into the daemon, the store, the engine, the watch or the
// rollout driver.
// One field per concern: a new section of the status page adds a field and its builder here.
import type { ActionRecord } from '../actions/action-record.js';
import { buildHealthView, buildRulesView, type HealthView, type RulesView } from './api-view.js';
import type { CanaryDaemon } from '../engine/canary-daemon.js';
import type { PrometheusWatch } from '../engine/prometheus-watch.js';
import type { RolloutView } from '../rollout/rollout-view.js';
import type { RuleEngine } from '../engine/rule-engine.js';
import type { StateStore } from '../engine/state-store.js';

export interface StatusSnapshot {
  /** `/api/rules` and the status page's rule table. */
  readonly rules: RulesView;
  /** `/healthz` and the status page's banners. */
  readonly health: HealthView;
  /** The action log, newest first (all the store keeps; routes cut it to their limit). */
  readonly actions: readonly ActionRecord[];
  /**
   * `GET /api/rollout` and the status page's rollout section: the plan, its state, the last
   * look's gates and the timeline, as of this snapshot (the hold left counts from its `now`);
   * null when the daemon runs no rollout driver. No plan started yet is a view with `planRef` null.
   */
  readonly rollout: RolloutView | null;
}

/** The live objects a snapshot is read from (only here). */
export interface StatusSources {
  readonly daemon: CanaryDaemon;
  readonly store: StateStore;
  readonly engine: RuleEngine;
  readonly watch: PrometheusWatch;
  /** The rollout plan's driver, when the daemon runs one. */
  readonly rollout?: { view(): RolloutView };
  readonly dryRun: boolean;
  readonly prometheusUrl: string;
}

export function buildStatusSnapshot(s: StatusSources): StatusSnapshot {
  // The views are new objects; what they share with the live state (rule labels, reload and
  // series-check results, action records) is never changed in place, only replaced, so freezing
  // it where it lies is safe and spares a deep copy (about 3× the cost: npm run bench:snapshot).
  return deepFreeze({
    rules: buildRulesView(s.daemon, s.store, s.engine, s.watch, {
      dryRun: s.dryRun,
      prometheusUrl: s.prometheusUrl,
    }),
    health: buildHealthView(s.daemon, s.watch, s.engine),
    actions: s.store.actions.latest(),
    // A new view object; the state, plan, gates and timeline it holds are replaced, never changed.
    rollout: s.rollout?.view() ?? null,
  });
}

/** Holds the latest snapshot; `publish` rebuilds it (cheap: a few hundred small objects). */
export class StatusBoard {
  private current: StatusSnapshot | undefined;

  constructor(private readonly build: () => StatusSnapshot) {}

  publish(): void {
    this.current = this.build();
  }

  /** The latest published snapshot (built on first use if nothing was published yet). */
  get snapshot(): StatusSnapshot {
    return (this.current ??= this.build());
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
