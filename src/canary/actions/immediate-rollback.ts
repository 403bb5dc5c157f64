// `action: immediate_rollback`: turns the rule's flag off through the flag store, reads it back to
// verify, and retries with backoff until it holds. It never turns a flag back on: resuming the
// rollout is a person's decision. Once-per-instance bookkeeping is the ActionRunner's job.
//
// The write is conditional ("off only if on", updateIf), so where several daemons watch one flag
// store the flag is turned off once, with one audit row, whichever daemon wins; a daemon that
// finds it already off records a `skipped` action ("already off"), which is neither a failure nor
// a second change.
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { ConditionalFlagStore } from '../../flags/types.js';
import type { DaemonMetrics } from '../metrics.js';
import { describeWhy, type Action, type ActionRequest, type ActionResult } from './action.js';

export const DAEMON_ACTOR = 'canary-daemon';
const ESCALATE_AFTER = 3;

export interface RollbackOptions {
  readonly flags: ConditionalFlagStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Which daemon wrote a rollback, in its audit context (`host:pid`): with two, which one won. */
  readonly daemonId?: string;
  /** Where a stuck rollback shows beside the logs (a gauge an alert can watch). */
  readonly metrics?: Pick<DaemonMetrics, 'rollbackRetries' | 'rollbacksInProgress'>;
}

export function createImmediateRollback(o: RollbackOptions): Action {
  const initial = o.initialBackoffMs ?? 1000;
  const max = o.maxBackoffMs ?? 30_000;
  return {
    name: 'immediate_rollback',
    describe: (req) => `turn flag ${req.rule.flag ?? '(none)'} off`,
    async perform(req) {
      const flag = req.rule.flag;
      if (req.event !== 'firing')
        return {
          outcome: 'skipped',
          detail: 'a rollback is never undone automatically',
          attempts: 0,
        };
      if (!flag)
        return {
          outcome: 'failure',
          detail: 'the rule has no flag label (the loader should have refused it)',
          attempts: 0,
        };
      o.metrics?.rollbacksInProgress.labels(flag).inc();
      try {
        return await retryUntilHeld(o, flag, req, initial, max);
      } finally {
        o.metrics?.rollbacksInProgress.labels(flag).dec();
      }
    },
  };
}

async function retryUntilHeld(
  o: RollbackOptions,
  flag: string,
  req: ActionRequest,
  initial: number,
  max: number,
): Promise<ActionResult> {
  let delay = initial;
  for (let attempt = 1; ; attempt++) {
    const r = await attemptOnce(o, flag, req);
    if (r.ok)
      return { outcome: r.changed ? 'success' : 'skipped', detail: r.detail, attempts: attempt };
    o.metrics?.rollbackRetries.labels(flag).inc();
    if (req.signal.aborted) {
      return {
        outcome: 'failure',
        detail: `stopped before the rollback held: ${r.error}`,
        attempts: attempt,
      };
    }
    // Transient at first (a lock held by a person's CLI); after a few attempts someone must act.
    const level = attempt >= ESCALATE_AFTER ? 'error' : 'warn';
    o.logger[level](
      { flag, rule: req.rule.name, attempt, retryInMs: delay, error: r.error },
      `rollback of ${flag} did not hold yet (attempt ${attempt}): ${r.error}; retrying in ${delay} ms`,
    );
    await o.clock.sleep(delay, req.signal);
    delay = Math.min(delay * 2, max);
  }
}

type Attempt = { ok: true; changed: boolean; detail: string } | { ok: false; error: string };

async function attemptOnce(o: RollbackOptions, flag: string, req: ActionRequest): Promise<Attempt> {
  const { flags } = o;
  const { rule, instance } = req;
  try {
    const update = await flags.updateIf(
      { flag, value: false },
      {
        actor: DAEMON_ACTOR,
        reason: `immediate_rollback by ${describeWhy(rule, instance)}`,
        context: {
          rule: rule.name,
          expr: rule.expr,
          value: instance.value,
          threshold: rule.threshold ? `${rule.threshold.op} ${rule.threshold.value}` : undefined,
          for: `${rule.forMs / 1000}s`,
          activeAt: new Date(instance.activeAt).toISOString(),
          labels: instance.labels,
          ...(o.daemonId ? { daemon: o.daemonId } : {}),
        },
      },
      { enabled: true },
    );
    if (!update.ok) return { ok: false, error: `flag store refused the write: ${update.error}` };
    const after = await flags.getRollout(flag);
    if (after === undefined)
      return { ok: false, error: `flag ${flag} is not defined in ${flags.path}` };
    if (after.enabled)
      return { ok: false, error: `read back ${flag} from ${flags.path}: still enabled` };
    if (!update.changed)
      return {
        ok: true,
        changed: false,
        detail: `already off: flag ${flag} was off before this daemon wrote (another daemon or a person turned it off first); nothing written, no audit row; verified by reading ${flags.path} back`,
      };
    return {
      ok: true,
      changed: true,
      detail: `flag ${flag} turned off, verified by reading ${flags.path} back`,
    };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
