// Waiting for, and reading, the daemon's rollbacks as the flag file's audit log records them.
import type { AuditEntry } from '../../../src/flags/types.js';
import { DAEMON_ACTOR } from '../../../src/canary/actions/immediate-rollback.js';
import { eventually } from '../../harness/index.js';
import { AI_FLAG, type E2eStack } from './e2e-stack.js';

/** Audit entries in which the daemon turned the AI flag off, oldest first. */
export async function daemonRollbacks(stack: E2eStack, since = 0): Promise<AuditEntry[]> {
  const history = await stack.flags.history({ flag: AI_FLAG });
  return history.filter(
    (e) => e.actor === DAEMON_ACTOR && e.after.enabled === false && Date.parse(e.time) >= since,
  );
}

export interface Rollback {
  readonly entry: AuditEntry;
  /** When the flag file was written (the audit entry's time, taken just after the rename). */
  readonly offAt: number;
  /** The daemon's activeAt for the alert instance, from the audit context. */
  readonly activeAt: number;
}

export async function waitForRollback(
  stack: E2eStack,
  since: number,
  timeoutMs = 60_000,
): Promise<Rollback> {
  const entry = await eventually(async () => (await daemonRollbacks(stack, since))[0], {
    what: 'the daemon to turn the flag off',
    timeoutMs,
    intervalMs: 100,
  });
  const activeAt = Date.parse(String(entry.context?.activeAt));
  return { entry, offAt: Date.parse(entry.time), activeAt };
}

/** A person turns the flag back on after an incident (the daemon never does). */
export async function resumeRollout(stack: E2eStack): Promise<void> {
  const r = await stack.flags.update(
    { flag: AI_FLAG, value: true },
    { actor: 'on-call', reason: 'e2e: incident over, resume the rollout' },
  );
  if (!r.ok) throw new Error(`could not turn ${AI_FLAG} back on: ${r.error}`);
}
