// Composition root of the `canary` command line: every sub-command registers itself here.
// Start-up time matters (the kill switch is `canary flags update … --value=false`), so this file
// and the registration modules load commander and nothing else: each command imports what it
// runs inside its action (see ./commands/index.ts; test/unit/cli-lazy-imports.test.ts holds it).
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { commandModules } from './commands/index.js';

/** package.json's version: dist/cli/main.js and src/cli/main.ts sit at the same depth. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version?: unknown;
  };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

export function buildProgram(): Command {
  const program = new Command('canary')
    .description(
      'Metrics-driven canary analysis for the AI Search rollout: search service, rules, daemon, flags.',
    )
    .version(packageVersion(), '-V, --version', 'print the version and exit')
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

/**
 * The first word that is not an option, when it names no command. Commander answers
 * `canary backtest --help` with the top-level help and exit 0, which reads as "that worked".
 */
export function unknownCommandName(program: Command, args: readonly string[]): string | undefined {
  const word = args.find((a) => !a.startsWith('-'));
  if (word === undefined || word === 'help') return undefined;
  const known = program.commands.some((c) => c.name() === word || c.aliases().includes(word));
  return known ? undefined : word;
}

// `canary … | head` closes the pipe early: that is the reader's choice, not a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = buildProgram();
const args = process.argv.slice(2);
const unknown = unknownCommandName(program, args);
// Without --help, commander says the same itself (with a "did you mean" suggestion).
if (unknown !== undefined && (args.includes('--help') || args.includes('-h'))) {
  console.error(`error: unknown command '${unknown}' (\`canary --help\` lists the commands)`);
  process.exit(2);
}
await program.parseAsync(process.argv);
