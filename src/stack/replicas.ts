// How many search service processes `canary start --replicas N` runs, and on which ports. The
// first replica listens on --service-port (the URL the README and the ops commands use); each
// other one on a port the OS says is free, so N replicas never need N ports reserved in advance.
import { freePort } from './ports.js';

/** Enough to see a fleet's aggregation at work; more only crowds one machine's cores. */
export const MAX_REPLICAS = 16;

export type ReplicasParse =
  { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string };

/** Strict: digits only, 1..MAX_REPLICAS (`2.5`, `0x2`, `3abc`, `` and `0` are refused). */
export function parseReplicas(raw: string): ReplicasParse {
  const n = /^\d{1,3}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= MAX_REPLICAS) return { ok: true, value: n };
  return {
    ok: false,
    error: `expected a whole number of search service replicas from 1 to ${MAX_REPLICAS}, got ${JSON.stringify(raw)}`,
  };
}

/** The name of replica `i` (1-based) in logs, pids and status lines: `service` when alone. */
export function replicaName(i: number, count: number): string {
  return count === 1 ? 'service' : `service-${i}`;
}

/**
 * Ports for every replica: `first`, then `count - 1` free ports distinct from it and from
 * `taken` (the stack's other ports); each is checked again with the rest before anything starts.
 */
export async function replicaPorts(
  first: number,
  count: number,
  taken: readonly number[],
  pick: () => Promise<number> = () => freePort(),
): Promise<number[]> {
  const ports = [first];
  const avoid = new Set([first, ...taken]);
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > count * 20) throw new Error(`could not find ${count - 1} free ports for replicas`);
    const p = await pick();
    if (avoid.has(p)) continue;
    avoid.add(p);
    ports.push(p);
  }
  return ports;
}
