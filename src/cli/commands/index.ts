import type { Command } from 'commander';
import { registerChaos } from './chaos.js';
import { registerDaemon } from './daemon.js';
import { registerFlags } from './flags.js';
import { registerLlmSim } from './llm-sim.js';
import { registerOps } from './ops.js';
import { registerRollout } from './rollout.js';
import { registerRules } from './rules.js';
import { registerServe } from './serve.js';
import { registerStart } from './start.js';

/** Each sub-command module exports one function that adds itself to the program. */
export type RegisterCommand = (program: Command) => void;

export const commandModules: readonly RegisterCommand[] = [
  registerFlags,
  registerRules,
  registerDaemon,
  registerServe,
  registerLlmSim,
  registerChaos,
  registerOps,
  registerStart,
  registerRollout,
];
