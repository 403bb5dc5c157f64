// Every sub-command of `canary`, one module each. To add a command: write `./<name>.ts` that exports
// `register<Name>` (options and help only, importing commander and type-only imports), load what the
// command runs with `await import(…)` inside its action, and add it to this list.
// test/unit/cli-lazy-imports.test.ts fails when a registration module loads more than commander,
// because every module loaded here slows `canary --help` and the kill switch down.
import type { Command } from 'commander';
import { registerBacktest } from './backtest.js';
import { registerChaos } from './chaos.js';
import { registerDaemon } from './daemon.js';
import { registerFlags } from './flags.js';
import { registerLlmSim } from './llm-sim.js';
import { registerOps } from './ops.js';
import { registerRollout } from './rollout.js';
import { registerRules } from './rules.js';
import { registerServe } from './serve.js';
import { registerSimulate } from './simulate.js';
import { registerStart } from './start.js';

/** Each sub-command module exports one function that adds itself to the program. */
export type RegisterCommand = (program: Command) => void;

export const commandModules: readonly RegisterCommand[] = [
  registerFlags,
  registerRules,
  registerDaemon,
  registerBacktest,
  registerServe,
  registerLlmSim,
  registerChaos,
  registerOps,
  registerStart,
  registerSimulate,
  registerRollout,
];
