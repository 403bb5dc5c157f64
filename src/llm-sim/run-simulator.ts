// `canary llm-sim`: the simulator as a long-running program, stopped cleanly by SIGINT/SIGTERM.
import type { Logger } from '../shared/logger.js';
import { startLlmSimulator } from './server.js';

export async function runLlmSimulator(opts: {
  port: number;
  host: string;
  seed: number;
  logger: Logger;
}): Promise<void> {
  const sim = await startLlmSimulator(opts);
  opts.logger.info(
    { url: sim.url, seed: opts.seed },
    `LLM simulator listening on ${sim.url}: POST /v1/chat/completions (OpenAI; OpenRouter with X-Title or /openrouter/v1), POST /v1/messages (Anthropic), GET|PUT /__control/faults`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      opts.logger.info(`LLM simulator stopping (${signal})`);
      sim.close().then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
