import type { RegisterCommand } from './index.js';

export const registerRules: RegisterCommand = (program) => {
  const rules = program
    .command('rules')
    .description('Prometheus rule files the canary daemon acts on');
  rules
    .command('check')
    .description('strict validation of rule files; errors as file:line:col: message, exit 1 on any')
    .argument('<file...>', 'rule files (YAML, Prometheus format)')
    .action(async (files: string[]) => {
      const { checkRuleFiles } = await import('../../canary/rules/check-rules.js');
      const out = await checkRuleFiles(files);
      for (const line of out.stdout) console.log(line);
      for (const line of out.stderr) console.error(line);
      process.exitCode = out.ok ? 0 : 1;
    });
};
