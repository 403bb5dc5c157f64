// The shell of every operational command: resolve where to aim (flag, environment, or
// .env.<name>), run the checks, print the verdict (text, or one JSON object with --json), and
// return the exit code: 0 met, 1 target missed, 2 bad usage, 3 no reply (see verdict.ts EXIT).
import { ConfigError, loadConfig, type Config } from '../../shared/config.js';
import { envWithFiles } from '../../shared/env-files.js';
import {
  accessFromOptions,
  requestHeaders,
  type PrometheusAccessCliOptions,
} from '../../shared/prometheus-access.js';
import { LoadToolMissingError } from './performance.js';
import {
  EXIT,
  exitCodeOf,
  formatReport,
  summarize,
  type CheckExitCode,
  type CheckResult,
} from './verdict.js';

export interface AimOptions extends PrometheusAccessCliOptions {
  readonly env?: string;
  readonly url?: string;
  /** Check the metrics backend options (headers, auth) too: the command queries it. */
  readonly usesPrometheus?: boolean;
  readonly allowNoData?: boolean;
  readonly json?: boolean;
}

export interface Aim {
  readonly config: Config;
  readonly serviceUrl: string;
  readonly prometheusUrl: string;
  /** Tenant headers and auth for every query (src/shared/prometheus-access.ts). */
  readonly prometheusHeaders: Readonly<Record<string, string>>;
}

export function resolveAim(opts: AimOptions, cwd = process.cwd()): Aim {
  const config = loadConfig(envWithFiles(opts.env, cwd), cwd);
  const serviceUrl = (opts.url ?? config.serviceUrl).replace(/\/$/, '');
  const prometheusUrl = (opts.prometheusUrl ?? config.prometheusUrl).replace(/\/$/, '');
  if (!opts.usesPrometheus) return { config, serviceUrl, prometheusUrl, prometheusHeaders: {} };
  const access = accessFromOptions(opts, config);
  if (!access.ok) throw new ConfigError(access.problems);
  return {
    config,
    serviceUrl,
    prometheusUrl: access.access.url,
    prometheusHeaders: requestHeaders(access.access),
  };
}

/** What --json prints: stable field names a script can rely on. */
export interface CheckReport {
  readonly check: string;
  readonly title: string;
  readonly exitCode: CheckExitCode;
  readonly verdict: 'met' | 'missed' | 'unreachable';
  readonly summary: string;
  readonly results: readonly CheckResult[];
}

export function buildReport(
  check: string,
  title: string,
  results: readonly CheckResult[],
  allowNoData: boolean,
): CheckReport {
  const exitCode = exitCodeOf(results, allowNoData);
  const verdict =
    exitCode === EXIT.met ? 'met' : exitCode === EXIT.unreachable ? 'unreachable' : 'missed';
  return { check, title, exitCode, verdict, summary: summarize(results), results };
}

/** Runs `checks`, prints the report, returns the exit code (2 when the aim itself is bad). */
export async function runChecks(
  check: string,
  title: (aim: Aim) => string,
  opts: AimOptions,
  checks: (aim: Aim) => Promise<CheckResult[]>,
): Promise<CheckExitCode> {
  let aim: Aim;
  try {
    aim = resolveAim(opts);
  } catch (e) {
    console.error(e instanceof ConfigError ? e.message : `error: ${(e as Error).message}`);
    return EXIT.usage;
  }
  let results: CheckResult[];
  try {
    results = await checks(aim);
  } catch (e) {
    if (!(e instanceof LoadToolMissingError)) throw e;
    console.error(`${check}: ${e.message}`);
    return EXIT.usage;
  }
  const report = buildReport(check, title(aim), results, opts.allowNoData ?? false);
  console.log(
    opts.json ? JSON.stringify(report, null, 2) : formatReport(report.title, report.results),
  );
  return report.exitCode;
}
