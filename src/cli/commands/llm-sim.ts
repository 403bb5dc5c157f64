// `canary llm-sim`: parses options and hands them to src/llm-sim/run-simulator.ts.
import { intOption } from '../int-option.js';
import type { RegisterCommand } from './index.js';

export const registerLlmSim: RegisterCommand = (program) => {
  program
    .command('llm-sim')
    .description(
      'Run the local LLM simulator (OpenAI, OpenRouter and Anthropic wire protocols, fault injection at /__control/faults)',
    )
    .option('--port <n>', 'port to listen on (default: LLM_SIM_PORT or 3200)', intOption(0, 65535))
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--seed <n>',
      'seed for fault decisions and latency jitter',
      intOption(0, 2 ** 32 - 1),
      42,
    )
    // Bad usage exits 2 (commander's own default is 1, which means "what was asked failed").
    .action(async (opts: { port?: number; host: string; seed: number }) => {
      const [{ runLlmSimulator }, { loadConfig }, { createLogger }] = await Promise.all([
        import('../../llm-sim/run-simulator.js'),
        import('../../shared/config.js'),
        import('../../shared/logger.js'),
      ]);
      const config = loadConfig();
      const logger = createLogger({ name: 'llm-sim', level: config.logLevel });
      await runLlmSimulator({
        port: opts.port ?? config.ports.llmSim,
        host: opts.host,
        seed: opts.seed,
        logger,
      });
    });
};
