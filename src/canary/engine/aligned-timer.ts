// Runs one rule group at slot-aligned timestamps, like Prometheus: slot = k * interval + offset.
// node-cron is not used because cron fields cannot express an arbitrary interval (7s, 45s, 90s
// restart at every minute or hour boundary) and it cannot hand the job its slot's timestamp; this
// small loop on an injected Clock does both and is stepped by a FakeClock in tests.
// One loop per group means one evaluation at a time; a slow evaluation skips the slots it
// overran (counted), it never queues them. The loop never rejects and its timers never keep the
// process alive (the Clock's timers are unref'd).
import type { Clock } from '../../shared/clock.js';

export interface AlignedTimerOptions {
  readonly clock: Clock;
  readonly intervalMs: number;
  /** Phase within the interval, so groups spread out; see `slotOffset`. */
  readonly offsetMs: number;
  /** Evaluates at slot time `ts`. Errors are handed to `onError`, never thrown further. */
  readonly run: (ts: number) => Promise<void>;
  readonly onMissed: (count: number) => void;
  readonly onError: (err: unknown) => void;
}

/** The latest slot at or before `now`. */
export function slotAt(now: number, intervalMs: number, offsetMs: number): number {
  return Math.floor((now - offsetMs) / intervalMs) * intervalMs + offsetMs;
}

/** A stable phase for a group (FNV-1a of its key), as Prometheus spreads groups by a hash. */
export function slotOffset(key: string, intervalMs: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % intervalMs;
}

/** A rule group's phase: from its file and name, so the daemon and `canary backtest` agree on slots. */
export function groupSlotOffset(group: { file: string; name: string; intervalMs: number }): number {
  return slotOffset(`${group.file}::${group.name}`, group.intervalMs);
}

/** Every slot of a group from `fromMs` to `toMs`, both included. */
export function slotsBetween(
  fromMs: number,
  toMs: number,
  intervalMs: number,
  offsetMs: number,
): number[] {
  const out: number[] = [];
  let t = slotAt(fromMs, intervalMs, offsetMs);
  if (t < fromMs) t += intervalMs;
  for (; t <= toMs; t += intervalMs) out.push(t);
  return out;
}

export class AlignedTimer {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly o: AlignedTimerOptions) {
    if (!(o.intervalMs > 0)) throw new RangeError(`interval must be > 0, got ${o.intervalMs}`);
  }

  start(): void {
    this.loop ??= this.runLoop();
  }

  /** Stops scheduling; resolves once a running evaluation has finished. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async runLoop(): Promise<void> {
    const { clock, intervalMs, offsetMs } = this.o;
    const signal = this.abort.signal;
    let due = slotAt(clock.now(), intervalMs, offsetMs) + intervalMs;
    while (!signal.aborted) {
      const wait = due - clock.now();
      if (wait > 0) await clock.sleep(wait, signal);
      if (signal.aborted) break;
      if (clock.now() < due) continue;
      try {
        await this.o.run(due);
      } catch (err) {
        this.o.onError(err);
      }
      const latest = slotAt(clock.now(), intervalMs, offsetMs);
      if (latest > due) {
        // The evaluation overran: evaluate the latest slot now and skip the ones in between.
        const missed = (latest - due) / intervalMs - 1;
        if (missed > 0) this.safeMissed(missed);
        due = latest;
      } else {
        due += intervalMs;
      }
    }
  }

  private safeMissed(n: number): void {
    try {
      this.o.onMissed(n);
    } catch (err) {
      this.o.onError(err);
    }
  }
}
