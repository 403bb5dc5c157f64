// Composition root of the `canary` command line: every sub-command registers itself here.
import { Command } from 'commander';
import { commandModules } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('canary')
    .description(
      'Metrics-driven canary analysis for the AI Search rollout: search service, rules, daemon, flags.',
    )
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  for (const register of commandModules) register(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
