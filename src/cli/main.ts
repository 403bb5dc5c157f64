// Composition root of the `canary` command line: every sub-command registers itself here.
import { Command } from 'commander';
import { commandModules } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('canary')
    .description(
      'Metrics-driven canary analysis for the AI Search rollout: search service, rules, daemon, flags.',
    )
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true })
    // Bad usage exits 2 everywhere (commander's own default is 1, which we keep for failures of
    // what was asked). Sub-commands inherit this because they are added after it.
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
  for (const register of commandModules) register(program);
  return program;
}

// `canary … | head` closes the pipe early: that is the reader's choice, not a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

await buildProgram().parseAsync(process.argv);
