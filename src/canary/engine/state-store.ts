// The daemon's memory across restarts: each alerting rule's instances (so `for` progress survives)
// and the rollbacks done (so none is ever repeated), in `<data-dir>/canary-state.json`, written
// atomically (temp file + rename). A corrupt file is moved aside and the daemon starts fresh:
// losing `for` progress is better than a crash loop that evaluates nothing. A symlink (or anything
// but a regular file) at the path is never followed: it is moved aside the same way, and the next
// save writes a regular file in its place, so nothing is ever read or written through a link.
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import {
  NotRegularFileError,
  readFileNoFollow,
  writeFileAtomic,
} from '../../shared/no-follow-files.js';
import { Ring, type ActionRecord } from '../actions/action-record.js';
import type { AlertInstance, RuleState } from '../types.js';

export const STATE_FILE_NAME = 'canary-state.json';
const VERSION = 1;

/** A rollback of one alert instance: `started` is written before the flag is touched. */
export interface RollbackMark {
  readonly key: string;
  readonly rule: string;
  readonly status: 'started' | 'done' | 'dry_run';
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly detail?: string;
}

export interface NotifyMark {
  /** The rule's state id, so marks of rules a reload removed can be dropped. */
  readonly ruleId: string;
  readonly activeAt: number;
  readonly lastSentAt: number;
}

interface StateFileV1 {
  version: 1;
  savedAt: string;
  rules: Record<
    string,
    {
      health: RuleState['health'];
      lastError: string | null;
      lastEvaluation: number | null;
      instances: AlertInstance[];
    }
  >;
  rollbacks: Record<string, RollbackMark>;
  notified: Record<string, NotifyMark>;
  actions: ActionRecord[];
}

export interface StateStoreOptions {
  readonly dataDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxActions?: number;
}

export class StateStore {
  readonly path: string;
  private rules = new Map<string, RuleState>();
  private rollbacks = new Map<string, RollbackMark>();
  private notified = new Map<string, NotifyMark>();
  readonly actions: Ring<ActionRecord>;
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly o: StateStoreOptions) {
    this.path = path.join(o.dataDir, STATE_FILE_NAME);
    this.actions = new Ring(o.maxActions ?? 200);
  }

  /** Loads the state file (or starts empty); never throws for a bad file. */
  static async open(o: StateStoreOptions): Promise<StateStore> {
    const store = new StateStore(o);
    await mkdir(o.dataDir, { recursive: true });
    await store.load();
    return store;
  }

  getRule(id: string): RuleState | undefined {
    return this.rules.get(id);
  }
  setRule(id: string, state: RuleState): void {
    this.rules.set(id, state);
  }
  /** Forgets rules that are no longer loaded (a reload removed or changed them). */
  retainRules(ids: ReadonlySet<string>, keep: (ruleId: string) => boolean = () => false): void {
    for (const id of [...this.rules.keys()]) if (!ids.has(id)) this.rules.delete(id);
    for (const [k, m] of [...this.notified]) {
      if (!ids.has(m.ruleId) && !keep(m.ruleId)) this.notified.delete(k);
    }
  }
  ruleIds(): string[] {
    return [...this.rules.keys()];
  }

  getRollback(key: string): RollbackMark | undefined {
    return this.rollbacks.get(key);
  }
  setRollback(mark: RollbackMark): void {
    this.rollbacks.set(mark.key, mark);
  }

  getNotified(key: string): NotifyMark | undefined {
    return this.notified.get(key);
  }
  setNotified(key: string, mark: NotifyMark | undefined): void {
    if (mark) this.notified.set(key, mark);
    else this.notified.delete(key);
  }

  /** Writes the file atomically; saves are serialized so the newest state always lands last. */
  save(): Promise<void> {
    const run = this.saving.then(() => this.writeNow());
    this.saving = run.catch(() => undefined);
    return run;
  }

  private async writeNow(): Promise<void> {
    const body: StateFileV1 = {
      version: VERSION,
      savedAt: new Date(this.o.clock.now()).toISOString(),
      rules: Object.fromEntries(
        [...this.rules].map(([id, s]) => [
          id,
          {
            health: s.health,
            lastError: s.lastError ?? null,
            lastEvaluation: s.lastEvaluation ?? null,
            instances: [...s.instances.values()],
          },
        ]),
      ),
      rollbacks: Object.fromEntries(this.rollbacks),
      notified: Object.fromEntries(this.notified),
      actions: [...this.actions.all()],
    };
    await writeFileAtomic(this.path, JSON.stringify(body));
  }

  private async load(): Promise<void> {
    let text: string | NotRegularFileError;
    try {
      text = await readFileNoFollow(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      if (!(err instanceof NotRegularFileError)) throw err;
      text = err;
    }
    try {
      if (text instanceof NotRegularFileError) throw text;
      this.apply(parseStateFile(text));
      this.o.logger.info(
        { path: this.path, rules: this.rules.size, rollbacks: this.rollbacks.size },
        'state file loaded',
      );
    } catch (err) {
      const aside = `${this.path}.corrupt-${this.o.clock.now()}`;
      await rename(this.path, aside);
      this.o.logger.error(
        { path: this.path, movedTo: aside, error: (err as Error).message },
        `state file ${this.path} is unreadable (${(err as Error).message}); moved it to ${aside} and starting with empty state — pending alerts restart their 'for', rollbacks already done are not repeated only if the flag is already off`,
      );
    }
  }

  private apply(f: StateFileV1): void {
    for (const [id, r] of Object.entries(f.rules)) {
      this.rules.set(id, {
        health: r.health,
        lastError: r.lastError ?? undefined,
        lastEvaluation: r.lastEvaluation ?? undefined,
        // JSON has no NaN: a NaN value was written as null.
        instances: new Map(r.instances.map((i) => [i.key, { ...i, value: i.value ?? NaN }])),
      });
    }
    for (const [k, m] of Object.entries(f.rollbacks)) this.rollbacks.set(k, m);
    for (const [k, m] of Object.entries(f.notified)) this.notified.set(k, m);
    for (const a of f.actions) this.actions.push(a);
  }
}

/** Checks the shape just enough that a half-written or foreign file is refused as a whole. */
function parseStateFile(text: string): StateFileV1 {
  const f = JSON.parse(text) as Partial<StateFileV1>;
  if (typeof f !== 'object' || f === null) throw new Error('not a JSON object');
  if (f.version !== VERSION) throw new Error(`unknown version ${String(f.version)}`);
  for (const field of ['rules', 'rollbacks', 'notified'] as const) {
    if (typeof f[field] !== 'object' || f[field] === null || Array.isArray(f[field]))
      throw new Error(`"${field}" is not an object`);
  }
  if (!Array.isArray(f.actions)) throw new Error('"actions" is not a list');
  for (const [id, r] of Object.entries(f.rules ?? {})) {
    if (!Array.isArray(r?.instances)) throw new Error(`rule ${id}: "instances" is not a list`);
    for (const i of r.instances) {
      if (
        typeof i?.key !== 'string' ||
        typeof i.activeAt !== 'number' ||
        typeof i.state !== 'string'
      ) {
        throw new Error(`rule ${id}: an instance lacks key/activeAt/state`);
      }
    }
  }
  return f as StateFileV1;
}
