// `canary rollout`: the plan's strict check (`plan check`, offline), and the commands that drive
// the rollout the daemon runs (`start|status|pause|resume|abort`, over its admin API).
import { InvalidArgumentError, type Command } from 'commander';
import type { RegisterCommand } from './index.js';

/** The largest time scale the daemon accepts (POST /api/rollout/start's `timeScale`). */
const MAX_TIME_SCALE = 1_000_000;

/** A ratio, not a count: 1.5 is valid, so this is a number parser, not intOption. */
function timeScale(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 1 || n > MAX_TIME_SCALE) {
    throw new InvalidArgumentError(
      `expected a number from 1 to ${MAX_TIME_SCALE} (8640 turns a day into 10 s)`,
    );
  }
  return n;
}

type Cmd = 'start' | 'status' | 'pause' | 'resume' | 'abort';

function daemonCommand(rollout: Command, name: Cmd, description: string): Command {
  return rollout
    .command(name)
    .description(description)
    .option(
      '--daemon-url <url>',
      'the canary daemon (default: http://127.0.0.1:$CANARY_PORT or 3100)',
    )
    .option('--actor <name>', 'who, for the flag audit log (default: the OS user)')
    .action(async (options: Record<string, unknown>) => {
      const { runRolloutCommand } = await import('../../canary/rollout/rollout-cli.js');
      process.exitCode = await runRolloutCommand(name, options);
    });
}

export const registerRollout: RegisterCommand = (program) => {
  const rollout = program.command('rollout').description('the staged rollout plan of a flag');
  daemonCommand(
    rollout,
    'start',
    'start the plan the daemon was given (--rollout-plan) at step 1',
  ).option(
    '--time-scale <K>',
    'divide every hold by K (8640: a day in 10 s), as fast mode does',
    timeScale,
  );
  daemonCommand(
    rollout,
    'status',
    'where the rollout is: step, hold left, each gate with its numbers',
  ).option('--json', "the daemon's whole snapshot as JSON", false);
  daemonCommand(
    rollout,
    'pause',
    'stop promoting (the hold left is kept); the flag stays as it is',
  );
  daemonCommand(rollout, 'resume', 'carry on from the paused step, re-writing its percentage');
  daemonCommand(rollout, 'abort', 'stop the rollout and turn the flag off');
  const plan = rollout.command('plan').description('rollout plan files (rollouts/*.yml)');
  plan
    .command('check')
    .description(
      'strict validation of rollout plans; errors as file:line:col: message, exit 1 on any',
    )
    .argument('<file...>', 'rollout plan files (YAML)')
    .option('--time-scale <K>', 'show every hold divided by K, as fast mode runs it', timeScale, 1)
    .action(async (files: string[], options: { timeScale: number }) => {
      const { checkPlanFiles } = await import('../../rollout/check-plan.js');
      const out = await checkPlanFiles(files, options.timeScale);
      for (const line of out.stdout) console.log(line);
      for (const line of out.stderr) console.error(line);
      process.exitCode = out.ok ? 0 : 1;
    });
};
