// What the daemon did, why, and with what result: kept in memory (a ring), in the state file and
// served on /api/actions and the status page.
import type { ActionName } from '../types.js';
import type { ActionOutcome, AlertEvent } from './action.js';

export interface ActionRecord {
  readonly id: string;
  /** When the action finished (ISO). */
  readonly time: string;
  readonly action: ActionName;
  readonly event: AlertEvent;
  readonly outcome: ActionOutcome;
  /** What happened, or what would have in a dry run. */
  readonly detail: string;
  /** Why: "rule: value 0.23 > 0.1 for 300s (active since …)". */
  readonly reason: string;
  readonly rule: string;
  readonly group: string;
  readonly expr: string;
  readonly value: number | null;
  readonly threshold: string | null;
  readonly forSeconds: number;
  readonly activeAt: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly attempts: number;
}

/** A bounded, newest-last list. */
export class Ring<T> {
  private items: T[] = [];
  constructor(private readonly capacity: number) {}
  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }
  /** Newest first. */
  latest(limit = this.capacity): T[] {
    return this.items.slice(-limit).reverse();
  }
  all(): readonly T[] {
    return this.items;
  }
}
