// One e2e stack per test file, with steady searches from users of every segment, started before
// the file's tests (once AI traffic clears the rules' guard) and stopped after them.
import { afterAll, beforeAll } from 'vitest';
import {
  startE2eStack,
  waitForAiTraffic,
  type E2eStack,
  type E2eStackOptions,
} from './e2e-stack.js';
import { usersOfEverySegment } from './segment-users.js';
import { startSteadyTraffic, type SteadyTraffic } from './steady-traffic.js';

export interface StackWithTraffic {
  readonly stack: E2eStack;
  readonly traffic: SteadyTraffic;
}

/** Registers beforeAll/afterAll; the returned getter is valid inside the file's tests. */
export function useStackWithTraffic(
  options: E2eStackOptions,
  searchesPerSecond: number,
): () => StackWithTraffic {
  let current: { stack?: E2eStack; traffic?: SteadyTraffic } = {};
  beforeAll(async () => {
    const stack = await startE2eStack(options);
    current = { stack };
    current.traffic = startSteadyTraffic({
      serviceUrl: stack.serviceUrl,
      users: usersOfEverySegment(20),
      perSecond: searchesPerSecond,
    });
    await waitForAiTraffic(stack);
  });
  afterAll(async () => {
    await current.traffic?.stop();
    await current.stack?.stop();
  });
  return () => {
    if (!current.stack || !current.traffic) throw new Error('the e2e stack is not started');
    return { stack: current.stack, traffic: current.traffic };
  };
}
