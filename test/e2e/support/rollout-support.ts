// Helpers for the rollout end-to-end tests: traffic whose users reach every step's flag-on cohort,
// the `canary rollout` CLI run as a user runs it (asynchronously, so the test's traffic keeps
// flowing), and the daemon's rollout snapshot.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { FlagdCore } from '@openfeature/flagd-core';
import { renderFlagFile } from '../../../src/flags/flag-file.js';
import { makeSpec } from '../../../src/flags/rollout.js';
import { AI_SEARCH_FLAG, type UserSegment } from '../../../src/flags/types.js';
import type { RolloutView } from '../../../src/canary/rollout/rollout-view.js';
import { generateUsers } from '../../../src/search/contacts/generator.js';
import { DEFAULT_USERS } from '../../../src/search/main.js';
import type { SegmentUser } from './segment-users.js';

const BIN = path.resolve('bin/canary.js');

/** Whether flagd serves `user` the flag on at `percent` of its segment. */
function onAt(core: FlagdCore, user: SegmentUser): boolean {
  return core.resolveBooleanEvaluation(AI_SEARCH_FLAG, false, {
    targetingKey: user.id,
    segment: user.segment,
  }).value;
}

/**
 * Users for a rollout's traffic, per segment: every user the flag serves `on` at that segment's
 * first step (1% of internal users is a handful among the service's 10 000 users, found with the
 * flag's own bucketing), up to `onPerSegment`, and `offPerSegment` others. Real traffic at 1% of
 * internal users would take hours to gather a sample; a test has seconds.
 */
export function rolloutUsers(onPerSegment = 6, offPerSegment = 14): SegmentUser[] {
  const first: Record<UserSegment, number> = { 'internal-users': 1, 'beta-users': 10, public: 25 };
  const out: SegmentUser[] = [];
  for (const segment of Object.keys(first) as UserSegment[]) {
    const pct = first[segment];
    const spec = makeSpec(true, {
      'internal-users': segment === 'internal-users' ? pct : 0,
      'beta-users': segment === 'beta-users' ? pct : 0,
      default: segment === 'public' ? pct : 0,
    });
    const core = new FlagdCore();
    core.setConfigurations(renderFlagFile(new Map([[AI_SEARCH_FLAG, spec]])));
    const on: SegmentUser[] = [];
    const off: SegmentUser[] = [];
    for (const u of generateUsers(DEFAULT_USERS, 42)) {
      if (u.segment !== segment) continue;
      const user = { id: u.id, segment: u.segment };
      if (onAt(core, user)) {
        if (on.length < onPerSegment) on.push(user);
      } else if (off.length < offPerSegment) off.push(user);
    }
    out.push(...on, ...off);
  }
  return out;
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The admin token the tests' daemon is started with. */
export const ADMIN_TOKEN = 'e2e-rollout-admin-token';

export function rolloutCli(daemonUrl: string, ...args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'rollout', ...args, '--daemon-url', daemonUrl],
      { timeout: 60_000, env: { ...process.env, CANARY_ADMIN_TOKEN: ADMIN_TOKEN } },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

export async function rolloutView(daemonUrl: string): Promise<RolloutView> {
  const res = await fetch(`${daemonUrl}/api/rollout`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET /api/rollout: ${res.status}`);
  return (await res.json()) as RolloutView;
}
