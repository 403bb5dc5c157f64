// Waiting for, and reading, the daemon's rollbacks as the flag file's audit log records them.
import type { AuditEntry } from '../../../src/flags/types.js';
import { DAEMON_ACTOR } from '../../../src/canary/actions/immediate-rollback.js';
import { eventually } from '../../harness/index.js';
import type { ActionRecord } from '../../../src/canary/actions/action-record.js';
import { daemonActions } from './daemon-api.js';
import { AI_FLAG, type E2eStack } from './e2e-stack.js';
import { sentBetween, type SearchRecord, type SteadyTraffic } from './steady-traffic.js';

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

/**
 * The searches sent from one second after the flag went off, read once they have had 3 s to
 * land; the promise is that every one of them is answered in keyword mode.
 */
export async function searchesAfterRollback(
  traffic: SteadyTraffic,
  offAt: number,
): Promise<{ after: SearchRecord[]; notKeyword: SearchRecord[] }> {
  await new Promise((r) => setTimeout(r, 3000));
  const after = sentBetween(traffic.records, offAt + 1000);
  return { after, notKeyword: after.filter((r) => r.status !== 200 || r.mode !== 'keyword') };
}

/** A few daemon intervals later: the rollbacks in the audit log and in the daemon's action log. */
export async function rollbacksSettled(
  stack: E2eStack,
  intervalMs: number,
): Promise<{ audit: AuditEntry[]; actions: ActionRecord[] }> {
  await new Promise((r) => setTimeout(r, 3 * intervalMs));
  const actions = (await daemonActions(stack.daemon.url)).filter(
    (a) => a.action === 'immediate_rollback',
  );
  return { audit: await daemonRollbacks(stack), actions };
}
