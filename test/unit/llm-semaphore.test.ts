import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../src/search/llm/semaphore.js';
import { FakeClock } from '../../src/shared/clock.js';

const flush = () => new Promise((r) => setImmediate(r));

describe('Semaphore', () => {
  it('gives out at most `permits` at once and refuses without waiting when waitMs is 0', async () => {
    const sem = new Semaphore(2, new FakeClock());
    expect(await sem.acquire({ waitMs: 0 })).toBe(true);
    expect(await sem.acquire({ waitMs: 0 })).toBe(true);
    expect(await sem.acquire({ waitMs: 0 })).toBe(false);
    expect(sem.inUse).toBe(2);
  });

  it('hands a released permit to the first waiter', async () => {
    const sem = new Semaphore(1, new FakeClock());
    await sem.acquire({ waitMs: 0 });
    const waiting = sem.acquire({ waitMs: 1000 });
    await flush();
    sem.release();
    expect(await waiting).toBe(true);
    expect(sem.inUse).toBe(1);
  });

  it('gives up once the bounded wait is over', async () => {
    const clock = new FakeClock();
    const sem = new Semaphore(1, clock);
    await sem.acquire({ waitMs: 0 });
    const waiting = sem.acquire({ waitMs: 250 });
    await clock.advance(249);
    await flush();
    expect(sem.waiting).toBe(1);
    await clock.advance(1);
    expect(await waiting).toBe(false);
    expect(sem.waiting).toBe(0);
    sem.release();
    expect(sem.inUse).toBe(0);
  });

  it('stops waiting when the signal aborts', async () => {
    const sem = new Semaphore(1, new FakeClock());
    await sem.acquire({ waitMs: 0 });
    const ctl = new AbortController();
    const waiting = sem.acquire({ waitMs: 10_000, signal: ctl.signal });
    ctl.abort();
    expect(await waiting).toBe(false);
  });

  it('refuses at once when too many are already waiting', async () => {
    const sem = new Semaphore(1, new FakeClock(), 1);
    await sem.acquire({ waitMs: 0 });
    void sem.acquire({ waitMs: 1000 });
    expect(await sem.acquire({ waitMs: 1000 })).toBe(false);
  });

  it('never has more than `permits` holders, whatever the order of acquires and releases', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.boolean(), { maxLength: 60 }),
        async (permits, ops) => {
          const sem = new Semaphore(permits, new FakeClock());
          let holders = 0;
          let peak = 0;
          const pending: Promise<void>[] = [];
          for (const acquire of ops) {
            if (acquire) {
              pending.push(
                sem.acquire({ waitMs: 1_000_000 }).then((ok) => {
                  if (ok) peak = Math.max(peak, ++holders);
                }),
              );
            } else if (holders > 0) {
              holders -= 1;
              sem.release();
            }
            await flush();
          }
          expect(peak).toBeLessThanOrEqual(permits);
          expect(sem.inUse).toBeLessThanOrEqual(permits);
          void pending;
        },
      ),
      { numRuns: 50 },
    );
  });
});
