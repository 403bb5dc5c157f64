// `canary flags …`: parses options and hands them to src/flags/flags-command.ts.
import type { Command } from 'commander';
import type { RawUpdateOptions } from '../../flags/cli-input.js';
import type { CommonOptions, FlagsCommand } from '../../flags/flags-command.js';
import type { RegisterCommand } from './index.js';

function withCommon(cmd: Command): Command {
  return cmd
    .option('--flags-file <path>', 'the flag file (default: FLAGS_FILE, else data/flags.json)')
    .option(
      '--flags-url <url>',
      'the PostgreSQL flag store, postgres://… (default: FLAGS_URL; wins over the file)',
    )
    .option('--env <name>', 'also read .env.<name> (e.g. staging, production)')
    .option('--json', 'machine-readable output');
}

async function run(command: FlagsCommand, options: CommonOptions): Promise<void> {
  const { runFlagsCommand } = await import('../../flags/flags-command.js');
  process.exitCode = await runFlagsCommand(command, options);
}

export const registerFlags: RegisterCommand = (program) => {
  const flags = program
    .command('flags')
    .description(
      'show, change, validate and move feature flags (the flag file or PostgreSQL, and the audit log)',
    );

  withCommon(
    flags.command('list').description('every flag and the share of each segment served'),
  ).action((o: CommonOptions) => run({ name: 'list' }, o));

  withCommon(
    flags
      .command('get')
      .argument('<flag>')
      .description('one flag: its rollout and what each segment is served'),
  ).action((flag: string, o: CommonOptions) => run({ name: 'get', flag }, o));

  withCommon(
    flags
      .command('update')
      .argument('[flag]', 'the flag (same as --flag)')
      .description('change a flag: the kill switch (--value) and/or a rollout percentage')
      .option('--flag <name>', 'the flag to change, e.g. ai-search-enabled')
      .option(
        '--value <true|false>',
        'false is the kill switch: everyone off; true resumes the rollout',
      )
      .option(
        '--percentage <0..100>',
        'share of the segment (or, without --segment, of everyone else) served on',
      )
      .option('--segment <segment>', 'internal-users or beta-users; leave out for everyone else')
      .option('--reason <text>', 'why, for the audit log')
      .option('--actor <name>', 'who, for the audit log (default: $USER)')
      .option('--create', 'allow defining a flag that does not exist yet')
      .option(
        '--from-npm-config',
        'also read npm_config_* variables (npm run feature-flag:update --flag=…)',
      ),
  ).action((positionalFlag: string | undefined, o: CommonOptions & RawUpdateOptions) =>
    run({ name: 'update', options: o, ...(positionalFlag ? { positionalFlag } : {}) }, o),
  );

  withCommon(
    flags
      .command('history')
      .description('the audit log: who changed what, when and why (oldest first)')
      .option('--flag <name>', 'only this flag')
      .option('--limit <n>', 'only the last n changes'),
  ).action((o: CommonOptions & { flag?: string; limit?: string }) =>
    run(
      {
        name: 'history',
        ...(o.flag ? { flag: o.flag } : {}),
        ...(o.limit ? { limit: o.limit } : {}),
      },
      o,
    ),
  );

  withCommon(
    flags
      .command('validate')
      .description(
        'check the flag file and print the effective rollout per segment (exit 1 when invalid)',
      ),
  ).action((o: CommonOptions) => run({ name: 'validate' }, o));

  withCommon(
    flags
      .command('migrate')
      .description(
        'copy every flag and the audit log to another store (empty): --to postgres://… or --to FILE',
      )
      .option('--to <url-or-file>', 'the target: a postgres:// URL or a flag file path')
      .option('--schema-only', "apply the PostgreSQL store's pending schema migrations and stop"),
  ).action((o: CommonOptions & { to?: string; schemaOnly?: boolean }) =>
    run(
      {
        name: 'migrate',
        ...(o.to !== undefined ? { to: o.to } : {}),
        ...(o.schemaOnly ? { schemaOnly: true } : {}),
      },
      o,
    ),
  );
};
