import type { Command } from 'commander';

/** Each sub-command module exports one function that adds itself to the program. */
export type RegisterCommand = (program: Command) => void;

export const commandModules: readonly RegisterCommand[] = [];
