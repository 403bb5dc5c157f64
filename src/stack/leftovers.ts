// What an earlier run left behind: children of an orchestrator that was killed hard, and a flag
// file in which AI search was rolled back.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Refuses to start over a stack whose orchestrator was killed hard and left its children. */
export function assertNoLeftovers(dataDir: string): void {
  const file = path.join(dataDir, 'stack.json');
  if (!existsSync(file)) return;
  let pids: number[] = [];
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { pids?: Record<string, number> };
    pids = Object.values(saved.pids ?? {}).filter(isAlive);
  } catch {
    // unreadable: treat as stale
  }
  if (pids.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  throw new Error(
    `a stack started earlier with ${dataDir} is still running (pids ${pids.join(', ')}); ` +
      `stop it with: kill -TERM ${pids.map((p) => `-${p}`).join(' ')}`,
  );
}

/**
 * A sentence for the start-up banner when AI search is off in the flag file (a rollback from an
 * earlier run survives restarts), else undefined.
 */
export async function flagOffNote(serviceUrl: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${serviceUrl}/api/flags/ai-search-enabled`, {
      signal: AbortSignal.timeout(3000),
    });
    const body = (await res.json()) as { rollout?: { enabled?: boolean } };
    if (body.rollout?.enabled !== false) return undefined;
  } catch {
    return undefined;
  }
  return [
    'Note: ai-search-enabled is OFF in the flag file (a rollback survives restarts; see',
    '`npx canary flags history --flag ai-search-enabled`). Everyone gets keyword search. Resume with:',
    '  npm run feature-flag:update --flag=ai-search-enabled --value=true --percentage=50',
  ].join('\n');
}
