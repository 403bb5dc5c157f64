// The contract of the flag store, shared by the service, the daemon and the CLI.

export const AI_SEARCH_FLAG = 'ai-search-enabled';

/** Segments with their own rollout percentage; everyone else is `public`. */
export const SEGMENTS = ['internal-users', 'beta-users'] as const;
export type Segment = (typeof SEGMENTS)[number];
export type UserSegment = Segment | 'public';

/** The rollout of one boolean flag, as people think of it; the flagd targeting is derived from it. */
export interface RolloutSpec {
  /** The kill switch: false serves the default (off) variant to everyone. */
  readonly enabled: boolean;
  /** Percent (0..100) of each segment served `on`; `default` is everyone else. */
  readonly percentages: Readonly<Record<Segment | 'default', number>>;
}

/** One change, as `canary flags update` and the guide's npm script express it. */
export interface FlagChange {
  readonly flag: string;
  readonly value?: boolean;
  readonly percentage?: number;
  /** Which percentage `percentage` sets; absent means everyone else (`default`). */
  readonly segment?: Segment;
  /** Allow defining a flag the file does not have yet (it starts off, at 0%). Otherwise an unknown flag is refused. */
  readonly create?: boolean;
}

export interface ChangeMeta {
  /** Who: a person (`--actor`, else the OS user) or `canary-daemon`. */
  readonly actor: string;
  readonly reason: string;
  /** Extra facts for the audit log, e.g. the rule, expression, value and threshold of a rollback. */
  readonly context?: Readonly<Record<string, unknown>>;
}

export interface AuditEntry {
  readonly time: string;
  readonly actor: string;
  readonly reason: string;
  readonly flag: string;
  readonly before: RolloutSpec | null;
  readonly after: RolloutSpec;
  readonly context?: Readonly<Record<string, unknown>>;
  /** Present when this change was a kill switch that had to replace a broken flag file. */
  readonly recovery?: Recovery;
}

/** How a flag file can be unusable; each one still lets a flag be turned off. */
export type BrokenKind =
  | 'missing' // gone, although a last good copy shows it existed
  | 'empty'
  | 'not-json' // includes a file cut short mid-write
  | 'invalid' // JSON that is not a valid flag file
  | 'symlink'
  | 'not-a-file';

/** What a kill switch on a broken flag file did instead of refusing. */
export interface Recovery {
  readonly kind: BrokenKind;
  /** The problem, as `canary flags validate` would name it. */
  readonly problem: string;
  /** Where the broken file (or link) was moved; null when there was nothing to move. */
  readonly movedTo: string | null;
  /** Where the other flags came from: the last good copy, or the bootstrap variables. */
  readonly base: 'last-good' | 'bootstrap';
}

export type UpdateResult =
  | {
      readonly ok: true;
      readonly changed: boolean;
      readonly before: RolloutSpec | null;
      readonly after: RolloutSpec;
      readonly recovery?: Recovery;
      /** A conditional write (updateIf) whose condition did not hold: nothing was written. */
      readonly unmet?: string;
    }
  | { readonly ok: false; readonly error: string; readonly code?: UpdateErrorCode };

/** Why an update was refused: bad input (`unknown-flag`, `invalid-change`) or the store's state. */
export type UpdateErrorCode =
  | 'unknown-flag'
  | 'invalid-change'
  | 'locked'
  | 'corrupt'
  | 'io'
  // A compare-and-set lost: someone else changed the flag between our read and our write.
  | 'conflict';

export interface FlagStore {
  /** Where the flags live, for messages: the flag file's path, or the database URL without its password. */
  readonly path: string;
  /** The rollout of one flag from the file on disk; undefined when the flag is not defined. Throws a FlagFileError with a clear message when the file is corrupt. */
  getRollout(flag: string): Promise<RolloutSpec | undefined>;
  /** Every flag's rollout. */
  list(): Promise<ReadonlyMap<string, RolloutSpec>>;
  /** Atomic (temp file + rename), serialized by a lock, validated before writing, audited. Never throws for expected failures: a locked, unwritable or corrupt file gives ok: false with a reason, except that turning a flag off always works: a broken file is moved aside and replaced (see `recovery`). */
  update(change: FlagChange, meta: ChangeMeta): Promise<UpdateResult>;
  /** Audit entries, oldest first. */
  history(options?: { flag?: string; limit?: number }): Promise<AuditEntry[]>;
}

/** The state a conditional write requires the flag to be in. */
export interface FlagCondition {
  readonly enabled: boolean;
}

export interface ConditionalFlagStore extends FlagStore {
  /**
   * Applies `change` only while the flag is as `when` says, checked and written as one
   * compare-and-set: "off only if on" turns a flag off once, with one audit row, however many
   * callers race; the others get ok: true, changed: false, with `unmet` saying why.
   */
  updateIf(change: FlagChange, meta: ChangeMeta, when: FlagCondition): Promise<UpdateResult>;
}

/** The answer of one evaluation: never throws; errors fall back to the safe default (off). */
export interface FlagDecision {
  readonly value: boolean;
  readonly variant: string;
  readonly reason: string;
  readonly errorCode?: string;
}
