// An exact share of failed LLM calls, spread evenly instead of at random. The simulator's
// `errorRate` fails each call at random; over the few hundred calls of a fast-mode 5-second window
// a random 7% wanders past 10% by chance (11.1% was seen), which would make "7% must not roll
// back" a coin toss instead of a test. Here the first provider (openai) fails every call during
// `onMs` of each second and the fallback provider answers, so with steady traffic the failed share
// of calls is f / (1 + f), f = onMs / 1000, with little variance: the 5% line is crossed, the 10%
// line is not.
import type { LlmSimulator } from '../../../src/llm-sim/index.js';

export interface EvenFailures {
  /** The share of calls that fail (failures / all calls), as configured. */
  readonly share: number;
  stop(): void;
}

/** Fails `share` of all LLM calls (0 < share < 0.5), evenly over time, until stopped. */
export function failEvenly(sim: LlmSimulator, share: number): EvenFailures {
  if (!(share > 0 && share < 0.5)) throw new RangeError(`share must be in (0, 0.5), got ${share}`);
  const onMs = Math.round((1000 * share) / (1 - share));
  const failing = { errorRate: 0, providers: { openai: { errorRate: 1 } } };
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // Each second starts a failing slice of onMs, timed from the wall clock so it does not drift.
  const tick = () => {
    if (stopped) return;
    sim.setFaults(failing);
    setTimeout(() => !stopped && sim.setFaults({ errorRate: 0 }), onMs);
    timer = setTimeout(tick, 1000 - (Date.now() % 1000));
  };
  timer = setTimeout(tick, 1000 - (Date.now() % 1000));
  return {
    share,
    stop() {
      stopped = true;
      clearTimeout(timer);
      sim.setFaults({ errorRate: 0 });
    },
  };
}
