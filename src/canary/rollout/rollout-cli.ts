// What `canary rollout start|status|pause|resume|abort` do (src/cli/commands/rollout.ts only
// parses options): ask the running daemon over its admin API, which owns the rollout (one writer;
// it persists the state and holds the leadership). Writes send CANARY_ADMIN_TOKEN as a bearer
// token when it is set (without one the daemon accepts them from loopback only). Exit codes: 0
// done, 1 refused or the daemon unreachable, 2 bad usage or environment.
import { defaultActor } from '../../flags/cli-input.js';
import { ConfigError, loadConfig } from '../../shared/config.js';
import { UsageError } from '../../shared/usage-error.js';
import { formatDuration } from '../rules/duration.js';
import { currentStep, type RolloutView } from './rollout-view.js';

export type RolloutCliCommand = 'start' | 'status' | 'pause' | 'resume' | 'abort';

export interface RolloutCliOptions {
  readonly daemonUrl?: string;
  readonly json?: boolean;
  readonly timeScale?: number;
  readonly actor?: string;
}

export async function runRolloutCommand(
  cmd: RolloutCliCommand,
  o: RolloutCliOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let base: string;
  let token: string | undefined;
  try {
    ({ base, token } = daemonTarget(o, env));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`error: ${err.message}`);
    return 2;
  }
  const write = cmd !== 'status';
  const body = write
    ? {
        actor: o.actor ?? defaultActor(env),
        ...(o.timeScale !== undefined ? { timeScale: o.timeScale } : {}),
      }
    : undefined;
  let res: Response;
  try {
    res = await fetch(write ? `${base}/api/rollout/${cmd}` : `${base}/api/rollout`, {
      method: write ? 'POST' : 'GET',
      headers: {
        ...(write ? { 'content-type': 'application/json' } : {}),
        ...(write && token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    console.error(
      `cannot reach the canary daemon at ${base} (${(err as Error).message}): is it running? (--daemon-url, CANARY_PORT)`,
    );
    return 1;
  }
  const answer = (await res.json().catch(() => ({}))) as RolloutView & { error?: string };
  if (!res.ok) {
    console.error(`rollout ${cmd} refused (${res.status}): ${answer.error ?? res.statusText}`);
    return 1;
  }
  console.log(o.json ? JSON.stringify(answer, null, 2) : formatRolloutStatus(answer));
  return 0;
}

/** The daemon's base URL and admin token; a bad environment is a UsageError (exit 2). */
function daemonTarget(
  o: RolloutCliOptions,
  env: NodeJS.ProcessEnv,
): { base: string; token: string | undefined } {
  try {
    const config = loadConfig(env, process.cwd());
    const base = (o.daemonUrl ?? `http://127.0.0.1:${config.ports.daemon}`).replace(/\/+$/, '');
    return { base, token: config.canaryAdminToken };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

const time = (ms: number) => new Date(ms).toISOString();
const dur = (ms: number) => formatDuration(Math.round(ms / 1000) * 1000) || '0s';

/** The human `canary rollout status`: where the plan is, the hold left, each gate's numbers. */
export function formatRolloutStatus(v: RolloutView): string {
  const lines: string[] = [];
  const step = currentStep(v);
  const s = v.state;
  const plan = v.plan;
  const at = step !== undefined && plan?.steps[step] ? plan.steps[step] : undefined;
  const where = at
    ? ` at step ${step! + 1} of ${plan!.steps.length} (${at.name}: ${at.segment} ${at.percentage}%)`
    : '';
  const hold = v.holdLeftMs !== undefined ? `, hold left ${dur(v.holdLeftMs)}` : '';
  lines.push(
    `rollout: ${s.phase}${where}${hold}${v.leader ? '' : ' (this daemon is not the leader)'}`,
  );
  if (s.phase === 'paused' || s.phase === 'aborted') lines.push(`  why: ${s.reason}`);
  if (v.planRef) {
    const scale = v.planRef.timeScale !== 1 ? ` (time scale ${v.planRef.timeScale})` : '';
    lines.push(`plan: ${v.planRef.file}${scale}, flag ${plan?.flag ?? '?'}`);
  } else {
    lines.push('plan: none started (canary rollout start)');
  }
  if (v.planError) lines.push(`plan error: ${v.planError}`);
  const look = v.lastLook;
  if (s.phase === 'progressing' && look) {
    const min = at ? ` (minimum ${at.minSample.searches} and ${at.minSample.users})` : '';
    lines.push(`sample: ${look.sample.searches} AI searches, ${look.sample.users} users${min}`);
    if (look.error) lines.push(`cohorts unreadable: ${look.error}`);
    lines.push(`gates at ${time(look.at)}:`);
    for (const g of look.gates)
      lines.push(`  ${g.gate.padEnd(14)} ${g.verdict.padEnd(8)} ${g.reason}`);
  }
  if (v.timeline.length > 0) {
    lines.push('timeline:');
    for (const t of v.timeline.slice(-10)) {
      lines.push(`  ${time(t.at)}  ${t.from} → ${t.to}  ${t.reason}`);
    }
  }
  return lines.join('\n');
}
