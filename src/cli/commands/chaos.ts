// `canary chaos`: parses options and hands them to src/llm-sim/chaos-client.ts.
import { InvalidArgumentError, Option } from 'commander';
import {
  FAULT_MODES,
  SIM_PROVIDERS,
  type FaultMode,
  type SimProvider,
} from '../../llm-sim/fault-names.js';
import { parseHttpUrl } from '../../shared/env-parse.js';
import { intOption } from '../int-option.js';
import type { RegisterCommand } from './index.js';

function parseRate(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new InvalidArgumentError('expected a share from 0 to 1 (0.2 = 20% of LLM calls fail)');
  }
  return n;
}

function parseUrl(raw: string): string {
  const r = parseHttpUrl(raw);
  if (!r.ok) throw new InvalidArgumentError(`expected ${r.expected}`);
  return r.value;
}

interface ChaosOptions {
  aiErrorRate?: number;
  latencyMs?: number;
  status?: number;
  mode?: FaultMode;
  provider?: SimProvider;
  url?: string;
}

export const registerChaos: RegisterCommand = (program) => {
  program
    .command('chaos')
    .description(
      'Inject LLM faults into the running LLM simulator (each call replaces the settings of its scope; `--ai-error-rate 0` ends the incident). With no setting, prints the current faults.',
    )
    .option('--ai-error-rate <r>', 'share of LLM calls that fail, 0..1', parseRate)
    .option('--latency-ms <n>', 'extra latency on every LLM call', intOption(0, 600_000))
    .option('--status <n>', 'HTTP status of injected errors (500, 429, 529 …)', intOption(400, 599))
    .addOption(new Option('--mode <mode>', 'what a faulty call does').choices(FAULT_MODES))
    .addOption(
      new Option('--provider <p>', 'only this provider (default: all)').choices(SIM_PROVIDERS),
    )
    .option(
      '--url <url>',
      'LLM simulator URL (default: LLM_SIM_URL or http://127.0.0.1:3200)',
      parseUrl,
    )
    // Bad usage exits 2 (commander's own default is 1, which means "what was asked failed").
    .action(async (opts: ChaosOptions) => {
      const [{ ChaosError, describeFaults, getFaults, setChaos }, { loadConfig }] =
        await Promise.all([
          import('../../llm-sim/chaos-client.js'),
          import('../../shared/config.js'),
        ]);
      const url = opts.url ?? loadConfig().llmSimUrl;
      try {
        const setsSomething = [opts.aiErrorRate, opts.latencyMs, opts.status, opts.mode].some(
          (v) => v !== undefined,
        );
        const faults = setsSomething
          ? await setChaos({
              url,
              errorRate: opts.aiErrorRate ?? 0,
              latencyMs: opts.latencyMs,
              status: opts.status,
              mode: opts.mode,
              provider: opts.provider,
            })
          : await getFaults(url);
        console.log(`LLM simulator at ${url} now injects:\n${describeFaults(faults)}`);
      } catch (err) {
        if (!(err instanceof ChaosError)) throw err;
        console.error(err.message);
        process.exitCode = err.exitCode;
      }
    });
};
