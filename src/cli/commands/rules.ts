import type { CommanderError } from 'commander';
import { checkRuleFiles } from '../../canary/rules/check-rules.js';
import type { RegisterCommand } from './index.js';

export const registerRules: RegisterCommand = (program) => {
  const rules = program
    .command('rules')
    .description('Prometheus rule files the canary daemon acts on')
    .exitOverride(usageExit);
  rules
    .command('check')
    .description('strict validation of rule files; errors as file:line:col: message, exit 1 on any')
    .argument('<file...>', 'rule files (YAML, Prometheus format)')
    .exitOverride(usageExit)
    .action(async (files: string[]) => {
      const out = await checkRuleFiles(files);
      for (const line of out.stdout) console.log(line);
      for (const line of out.stderr) console.error(line);
      process.exitCode = out.ok ? 0 : 1;
    });
};

/** Help asked for exits 0; any other command-line mistake is bad usage: exit 2. */
function usageExit(err: CommanderError): never {
  process.exit(err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2);
}
