// An in-memory FlagStore with scriptable failures: writes that fail, and writes that "succeed" but
// do not hold (read back still enabled), to exercise the rollback's verify-and-retry loop.
import type {
  AuditEntry,
  ChangeMeta,
  ConditionalFlagStore,
  FlagChange,
  FlagCondition,
  RolloutSpec,
  UpdateResult,
} from '../../src/flags/types.js';

const ON: RolloutSpec = {
  enabled: true,
  percentages: { 'internal-users': 100, 'beta-users': 0, default: 10 },
};

export class FakeFlagStore implements ConditionalFlagStore {
  readonly path = '/fake/flags.json';
  readonly flags = new Map<string, RolloutSpec>([['ai-search-enabled', ON]]);
  readonly audit: AuditEntry[] = [];
  readonly updates: { change: FlagChange; meta: ChangeMeta }[] = [];
  /** The next N updates fail with ok: false. */
  failWrites = 0;
  /** The next N updates report success but leave the flag as it was. */
  dropWrites = 0;

  async getRollout(flag: string): Promise<RolloutSpec | undefined> {
    return this.flags.get(flag);
  }
  async list(): Promise<ReadonlyMap<string, RolloutSpec>> {
    return this.flags;
  }
  async update(change: FlagChange, meta: ChangeMeta): Promise<UpdateResult> {
    this.updates.push({ change, meta });
    if (this.failWrites > 0) {
      this.failWrites--;
      return { ok: false, error: 'flag file is locked by another writer' };
    }
    const before = this.flags.get(change.flag) ?? null;
    if (!before) return { ok: false, error: `unknown flag ${change.flag}` };
    const after: RolloutSpec =
      change.value === undefined ? before : { ...before, enabled: change.value };
    if (this.dropWrites > 0) {
      this.dropWrites--;
      return { ok: true, changed: true, before, after };
    }
    this.flags.set(change.flag, after);
    this.audit.push({
      time: new Date().toISOString(),
      actor: meta.actor,
      reason: meta.reason,
      flag: change.flag,
      before,
      after,
      context: meta.context,
    });
    return { ok: true, changed: before.enabled !== after.enabled, before, after };
  }
  /** As the real stores: the condition is checked first, and an unmet one writes nothing. */
  async updateIf(change: FlagChange, meta: ChangeMeta, when: FlagCondition): Promise<UpdateResult> {
    const now = this.flags.get(change.flag);
    if (now && now.enabled !== when.enabled) {
      this.updates.push({ change, meta });
      return { ok: true, changed: false, before: now, after: now, unmet: 'condition not met' };
    }
    return this.update(change, meta);
  }
  async history(): Promise<AuditEntry[]> {
    return this.audit;
  }
}
