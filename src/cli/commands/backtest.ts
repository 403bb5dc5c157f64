// `canary backtest`: replays the daemon's evaluation of a rule file over Prometheus history and
// lists what it would have done; `--against` diffs two versions of the rules. Reads only.
import { InvalidArgumentError, Option } from 'commander';
import { loadConfig, ConfigError } from '../../shared/config.js';
import { UsageError } from '../../shared/usage-error.js';
import type { RegisterCommand } from './index.js';
import { duration, url } from './daemon.js';
import { addPrometheusAccessOptions } from './prometheus-options.js';
import type { PrometheusAccessCliOptions } from '../../shared/prometheus-access.js';

interface BacktestCliOptions extends PrometheusAccessCliOptions {
  rules: string;
  against?: string;
  deployedPath?: string;
  from: string;
  to: string;
  interval: number;
  inlineRecorded: boolean;
  alert?: string[];
  out: string;
  charts: boolean;
  json: boolean;
  queryTimeout: number;
}

export const registerBacktest: RegisterCommand = (program) => {
  const cmd = program
    .command('backtest')
    .description(
      "Replay the daemon's evaluation of a rule file over Prometheus history: every pending, firing and resolved transition and every action it would have taken; --against diffs two rule versions. Writes nothing to Prometheus.",
    )
    .requiredOption('--rules <file>', 'the rule file to replay (as deployed)')
    .option(
      '--against <file>',
      'a second version of the rules, replayed as if deployed at --rules: the output is the diff',
    )
    .option(
      '--deployed-path <path>',
      "the path the daemon loads the rules from (its slots' phase depends on it; default: --rules)",
    )
    .requiredOption(
      '--from <time>',
      'start: RFC 3339 (2026-11-24T14:00:00Z) or relative (-2h, now-1d)',
    )
    .option('--to <time>', 'end: RFC 3339 or relative', 'now')
    .option(
      '--prometheus-url <url>',
      'Prometheus-compatible base URL, path prefix included (default: PROMETHEUS_URL or http://127.0.0.1:9090)',
      url,
    );
  addPrometheusAccessOptions(cmd)
    .addOption(
      new Option(
        '--interval <duration>',
        "evaluation interval of groups that set none (the daemon's --interval)",
      )
        .default(15_000, '15s')
        .argParser(duration),
    )
    .option(
      '--inline-recorded',
      'replace recorded series by their recording rules (default: read them as Prometheus recorded them)',
      false,
    )
    .option('--alert <name...>', 'replay only these alerts (default: every alerting rule)')
    .option(
      '--out <dir>',
      'where the charts (one SVG per alert) and index.html go',
      'backtest-report',
    )
    .option('--no-charts', 'write no charts')
    .option('--json', 'print the report as JSON instead of tables', false)
    .addOption(
      new Option('--query-timeout <duration>', 'timeout of each range query')
        .default(60_000, '60s')
        .argParser(duration),
    )
    .action(async (opts: BacktestCliOptions) => {
      process.exitCode = await runBacktestCommand(opts);
    });
};

async function runBacktestCommand(opts: BacktestCliOptions): Promise<number> {
  const { parseTimeArg } = await import('../../canary/backtest/time-arg.js');
  const now = Date.now();
  const times: number[] = [];
  for (const [flag, raw] of [
    ['--from', opts.from],
    ['--to', opts.to],
  ] as const) {
    const t = parseTimeArg(raw, now);
    if (!t.ok)
      return usage(
        new InvalidArgumentError(`${flag} ${JSON.stringify(raw)}: expected ${t.expected}`),
      );
    times.push(t.value);
  }
  const [fromMs, toMs] = times as [number, number];
  if (toMs > now + 1000)
    return usage(new Error(`--to (${iso(toMs)}) is in the future: there is no history there yet`));
  if (fromMs >= toMs)
    return usage(new Error(`--from (${iso(fromMs)}) must be before --to (${iso(toMs)})`));
  const { accessFromOptions, requestHeaders } = await import('../../shared/prometheus-access.js');
  let access;
  try {
    access = accessFromOptions(opts, loadConfig(process.env, process.cwd()));
  } catch (err) {
    if (err instanceof ConfigError) return usage(err);
    throw err;
  }
  if (!access.ok) return usage(new UsageError(access.problems.join('; ')));
  const { runBacktest } = await import('../../canary/backtest/run-backtest.js');
  const { createRangeClient } = await import('../../canary/backtest/range-query.js');
  const { loadRuleFiles } = await import('../../canary/rules/load-rules.js');
  const { formatReport, reportJson } = await import('../../canary/backtest/report.js');
  const run = await runBacktest(
    {
      rulesFile: opts.rules,
      againstFile: opts.against,
      deployedPath: opts.deployedPath,
      fromMs,
      toMs,
      defaultIntervalMs: opts.interval,
      inlineRecorded: opts.inlineRecorded,
      alerts: opts.alert ?? [],
      outDir: opts.charts ? opts.out : undefined,
    },
    {
      client: createRangeClient({
        url: access.access.url,
        headers: requestHeaders(access.access),
        timeoutMs: opts.queryTimeout,
      }),
      loadRules: loadRuleFiles,
    },
  );
  if (!run.ok) {
    console.error(`canary backtest: ${run.error}`);
    // Bad input (window, rule files: as for `canary daemon`) is 2; Prometheus trouble is 1.
    return run.kind === 'prometheus' ? 1 : 2;
  }
  process.stdout.write(
    opts.json ? `${JSON.stringify(reportJson(run.report), null, 2)}\n` : formatReport(run.report),
  );
  return 0;
}

function usage(err: Error): number {
  console.error(`canary backtest: ${err.message}`);
  return 2;
}

const iso = (t: number) => new Date(t).toISOString();
