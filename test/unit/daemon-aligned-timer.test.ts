// The group scheduler, stepped by a FakeClock: slot-aligned timestamps, never two evaluations of a
// group at once, overrun slots skipped and counted, stop waits for the running evaluation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlignedTimer, slotAt, slotOffset } from '../../src/canary/engine/aligned-timer.js';
import { FakeClock } from '../../src/shared/clock.js';

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function harness(intervalMs: number, offsetMs = 0, start = 1_000_003) {
  const clock = new FakeClock(start);
  const runs: number[] = [];
  const missed: number[] = [];
  let running = 0;
  let maxRunning = 0;
  let evalMs = 0;
  const timer = new AlignedTimer({
    clock,
    intervalMs,
    offsetMs,
    run: async (ts) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs.push(ts);
      if (evalMs > 0) await clock.sleep(evalMs);
      running--;
    },
    onMissed: (n) => missed.push(n),
    onError: () => undefined,
  });
  return {
    clock,
    runs,
    missed,
    timer,
    get maxRunning() {
      return maxRunning;
    },
    setEvalMs: (ms: number) => (evalMs = ms),
    step: async (ms: number, by = 1000) => {
      for (let t = 0; t < ms; t += by) {
        await clock.advance(by);
        await flush();
      }
    },
  };
}

describe('AlignedTimer', () => {
  it('evaluates at slot-aligned timestamps (ts = k × interval + offset), the first one after start', async () => {
    const h = harness(7000, 2000);
    h.timer.start();
    await h.step(30_000);
    expect(h.runs.length).toBeGreaterThanOrEqual(4);
    for (const ts of h.runs) expect((ts - 2000) % 7000).toBe(0);
    expect(h.runs[0]).toBeGreaterThan(1_000_003);
    expect(h.runs.slice(1).map((t, i) => t - h.runs[i]!)).toEqual(h.runs.slice(1).map(() => 7000));
    await h.timer.stop();
  });

  it('never runs two evaluations at once and counts the slots an overrun skipped', async () => {
    const h = harness(5000);
    h.setEvalMs(12_000); // longer than two intervals
    h.timer.start();
    await h.step(40_000);
    expect(h.maxRunning).toBe(1);
    expect(h.missed.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // Every evaluation is still at a slot, and slots only move forward.
    for (const ts of h.runs) expect(ts % 5000).toBe(0);
    expect([...h.runs].sort((a, b) => a - b)).toEqual(h.runs);
    const stopping = h.timer.stop();
    await h.step(12_000); // let the running evaluation finish
    await stopping;
  });

  it('stop() waits for the running evaluation and nothing runs afterwards', async () => {
    const h = harness(5000);
    h.setEvalMs(3000);
    h.timer.start();
    await h.step(6000);
    expect(h.runs.length).toBe(1);
    let stopped = false;
    const stopping = h.timer.stop().then(() => (stopped = true));
    await flush();
    expect(stopped).toBe(false);
    await h.step(3000);
    await stopping;
    const n = h.runs.length;
    await h.step(20_000);
    expect(h.runs.length).toBe(n);
  });

  it('an evaluation that throws does not stop the schedule', async () => {
    const clock = new FakeClock(0);
    const errors: unknown[] = [];
    let calls = 0;
    const timer = new AlignedTimer({
      clock,
      intervalMs: 1000,
      offsetMs: 0,
      run: async () => {
        calls++;
        throw new Error('boom');
      },
      onMissed: () => undefined,
      onError: (e) => errors.push(e),
    });
    timer.start();
    for (let i = 0; i < 5; i++) {
      await clock.advance(1000);
      await flush();
    }
    await timer.stop();
    expect(calls).toBe(5);
    expect(errors).toHaveLength(5);
  });

  it('property: slotAt is the latest slot at or before now', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 41 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.nat(),
        (now, interval, o) => {
          const offset = o % interval;
          const s = slotAt(now, interval, offset);
          return s <= now && now - s < interval && (s - offset) % interval === 0;
        },
      ),
    );
  });

  it('slotOffset is stable and inside the interval', () => {
    expect(slotOffset('rules.yml::ai-search', 15_000)).toBe(
      slotOffset('rules.yml::ai-search', 15_000),
    );
    expect(slotOffset('x', 15_000)).toBeLessThan(15_000);
  });
});
