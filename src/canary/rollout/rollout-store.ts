// The rollout's memory across restarts, in `<data-dir>/rollout-state.json`: which plan runs (its
// file and time scale: the plan is loaded and checked again from the file at start-up), the state
// of the promotion state machine (holds are absolute times, so a restart resumes a hold where it
// was), and the timeline of transitions with the gates' numbers. Written atomically, never read
// or written through a link (src/shared/no-follow-files.ts). A file that cannot be understood is
// moved aside and the rollout starts from Pending: a pending rollout writes nothing, so that is
// the safe default, and the log says so loudly.
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import {
  NotRegularFileError,
  readFileNoFollow,
  writeFileAtomic,
} from '../../shared/no-follow-files.js';
import type { GateReport } from '../../rollout/gates.js';
import { INITIAL_ROLLOUT_STATE } from '../../rollout/rollout-state.js';
import type { RolloutState, RolloutTransition } from '../../rollout/rollout-state.js';

export const ROLLOUT_STATE_FILE = 'rollout-state.json';
const VERSION = 1;
const MAX_TIMELINE = 200;

/** The plan a rollout runs: loaded from `file` and every hold divided by `timeScale`. */
export interface PlanRef {
  readonly file: string;
  readonly timeScale: number;
}

/** One transition, with the gates' verdicts at that look (the fast-mode timeline). */
export interface TimelineEntry extends RolloutTransition {
  readonly gates: readonly GateReport[];
  /** The step's sample at that look (AI searches, users); absent for a person's command. */
  readonly sample?: { readonly searches: number; readonly users: number };
}

export interface RolloutRecord {
  readonly plan: PlanRef | null;
  readonly state: RolloutState;
  readonly timeline: readonly TimelineEntry[];
}

const PHASES = new Set(['pending', 'progressing', 'paused', 'succeeded', 'aborted']);

export class RolloutStore {
  readonly path: string;
  private record: RolloutRecord = { plan: null, state: INITIAL_ROLLOUT_STATE, timeline: [] };
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    dataDir: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.path = path.join(dataDir, ROLLOUT_STATE_FILE);
  }

  static async open(dataDir: string, clock: Clock, logger: Logger): Promise<RolloutStore> {
    const store = new RolloutStore(dataDir, clock, logger);
    await mkdir(dataDir, { recursive: true });
    await store.load();
    return store;
  }

  get(): RolloutRecord {
    return this.record;
  }

  /** Sets the record and writes it (saves are serialized, so the newest lands last). */
  async set(next: RolloutRecord): Promise<void> {
    const timeline = next.timeline.slice(-MAX_TIMELINE);
    this.record = { ...next, timeline };
    const body = JSON.stringify({
      version: VERSION,
      savedAt: new Date(this.clock.now()).toISOString(),
      ...this.record,
    });
    const write = this.saving.then(() => writeFileAtomic(this.path, body));
    this.saving = write.catch(() => undefined);
    await write;
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFileNoFollow(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      if (!(err instanceof NotRegularFileError)) throw err;
      return this.moveAside(err.message);
    }
    try {
      this.record = parseRecord(text);
      this.logger.info(
        { path: this.path, phase: this.record.state.phase },
        `rollout state loaded: ${this.record.state.phase}`,
      );
    } catch (err) {
      await this.moveAside((err as Error).message);
    }
  }

  private async moveAside(problem: string): Promise<void> {
    const aside = `${this.path}.corrupt-${this.clock.now()}`;
    await rename(this.path, aside);
    this.logger.error(
      { path: this.path, movedTo: aside, error: problem },
      `rollout state file ${this.path} is unusable (${problem}); moved it to ${aside}: the rollout is Pending and writes nothing until someone runs \`canary rollout start\` (check the flag by hand first)`,
    );
  }
}

function parseRecord(text: string): RolloutRecord {
  const f = JSON.parse(text) as Partial<RolloutRecord> & { version?: unknown };
  if (f.version !== VERSION) throw new Error(`unknown version ${String(f.version)}`);
  const state = f.state as { phase?: unknown; step?: unknown } | undefined;
  if (typeof state?.phase !== 'string' || !PHASES.has(state.phase)) {
    throw new Error('"state.phase" is missing or unknown');
  }
  if (state.phase === 'progressing' || state.phase === 'paused') {
    if (!Number.isInteger(state.step)) throw new Error('"state.step" is not a whole number');
  }
  const plan = f.plan ?? null;
  if (plan !== null && (typeof plan.file !== 'string' || !(plan.timeScale >= 1))) {
    throw new Error('"plan" needs a file and a time scale ≥ 1');
  }
  if (!Array.isArray(f.timeline)) throw new Error('"timeline" is not a list');
  return { plan, state: f.state as RolloutState, timeline: f.timeline };
}
