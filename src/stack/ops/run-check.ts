// The shell of every operational command: resolve where to aim (flag, environment, or
// .env.<name>), run the checks, print the verdict, set the exit code.
import { ConfigError, loadConfig, type Config } from '../../shared/config.js';
import { envWithFiles } from '../../shared/env-files.js';
import { exitCodeOf, formatReport, type CheckResult } from './verdict.js';

export interface AimOptions {
  readonly env?: string;
  readonly url?: string;
  readonly prometheusUrl?: string;
  readonly allowNoData?: boolean;
}

export interface Aim {
  readonly config: Config;
  readonly serviceUrl: string;
  readonly prometheusUrl: string;
}

export function resolveAim(opts: AimOptions, cwd = process.cwd()): Aim {
  const config = loadConfig(envWithFiles(opts.env, cwd), cwd);
  return {
    config,
    serviceUrl: (opts.url ?? config.serviceUrl).replace(/\/$/, ''),
    prometheusUrl: (opts.prometheusUrl ?? config.prometheusUrl).replace(/\/$/, ''),
  };
}

/** Runs `checks`, prints the report, returns the exit code (2 when the aim itself is bad). */
export async function runChecks(
  title: (aim: Aim) => string,
  opts: AimOptions,
  checks: (aim: Aim) => Promise<CheckResult[]>,
): Promise<0 | 1 | 2> {
  let aim: Aim;
  try {
    aim = resolveAim(opts);
  } catch (e) {
    console.error(e instanceof ConfigError ? e.message : `error: ${(e as Error).message}`);
    return 2;
  }
  const results = await checks(aim);
  console.log(formatReport(title(aim), results));
  return exitCodeOf(results, opts.allowNoData ?? false);
}
