// `canary rollout plan check`: the rollout plan's strict check. The daemon does not execute plans
// yet; start/status/pause/resume/abort come with that.
import { InvalidArgumentError } from 'commander';
import type { RegisterCommand } from './index.js';

function timeScale(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 1) {
    throw new InvalidArgumentError('expected a number ≥ 1 (8640 turns a day into 10 s)');
  }
  return n;
}

export const registerRollout: RegisterCommand = (program) => {
  const rollout = program.command('rollout').description('the staged rollout plan of a flag');
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
