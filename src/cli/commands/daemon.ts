// `canary daemon`: parses options (defaults from the environment's Config) and runs the daemon
// until SIGTERM/SIGINT; SIGHUP reloads the rules.
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { DaemonCliOptions } from '../../canary/daemon-command.js';
import { TEAMS, type Team } from '../../canary/types.js';
import { parseDurationMs, parseHttpUrl, parsePort } from '../../shared/env-parse.js';
import type { RegisterCommand } from './index.js';
import { addAlertmanagerAccessOptions, addPrometheusAccessOptions } from './prometheus-options.js';

export const duration = (raw: string) => {
  const r = parseDurationMs(raw);
  if (!r.ok || r.value <= 0)
    throw new InvalidArgumentError(`expected ${r.ok ? 'a positive duration' : r.expected}`);
  return r.value;
};
export const url = (raw: string) => {
  const r = parseHttpUrl(raw);
  if (!r.ok) throw new InvalidArgumentError(`expected ${r.expected}`);
  return r.value;
};
const port = (raw: string) => {
  const r = raw === '0' ? { ok: true as const, value: 0 } : parsePort(raw);
  if (!r.ok) throw new InvalidArgumentError(`expected ${r.expected}`);
  return r.value;
};
const webhook = (raw: string, prev: Partial<Record<Team, string>> = {}) => {
  const m = /^([a-z_]+)=(.+)$/.exec(raw);
  if (!m || !(TEAMS as readonly string[]).includes(m[1]!))
    throw new InvalidArgumentError(`expected TEAM=URL with TEAM one of ${TEAMS.join(', ')}`);
  return { ...prev, [m[1]!]: url(m[2]!) };
};

export const registerDaemon: RegisterCommand = (program: Command) => {
  const cmd = program
    .command('daemon')
    .description(
      'Evaluate the alert rules against Prometheus every interval and run their actions (rollback, notify).',
    )
    .requiredOption(
      '--rules <file...>',
      'Prometheus rule file(s) with the alerts and their action labels',
    )
    .option(
      '--prometheus-url <url>',
      'Prometheus-compatible base URL, path prefix included, e.g. http://mimir/prometheus (default: PROMETHEUS_URL or http://127.0.0.1:9090)',
      url,
    );
  addPrometheusAccessOptions(cmd)
    .option(
      '--inline-recorded',
      'query alerts with the recorded series they read replaced by their recording rules, for a backend that runs no recording rules (VictoriaMetrics single node, Thanos Query)',
      false,
    )
    .addOption(
      new Option('--interval <duration>', 'evaluation interval of groups that set none')
        .default(15_000, '15s')
        .argParser(duration),
    )
    .option('--dry-run', 'evaluate and record what would be done; do nothing', false)
    .option(
      '--rollout-plan <file>',
      'the rollout plan `canary rollout start` runs (e.g. rollouts/ai-search.yml; docs/rollout.md)',
    )
    .option('--port <n>', 'HTTP port (default: CANARY_PORT or 3100; 0 picks a free one)', port)
    .option('--host <addr>', 'address to listen on', '0.0.0.0')
    .option('--data-dir <dir>', 'where canary-state.json lives (default: DATA_DIR or ./data)')
    .option(
      '--flags-file <file>',
      'the flag file a rollback writes (default: FLAGS_FILE or <data-dir>/flags.json)',
    )
    .option(
      '--alertmanager-url <url>',
      'send notifications to this Alertmanager, path prefix included (default: ALERTMANAGER_URL)',
      url,
    );
  addAlertmanagerAccessOptions(cmd)
    .option(
      '--webhook <team=url>',
      `a team's webhook when no Alertmanager is set (teams: ${TEAMS.join(', ')}); repeatable`,
      webhook,
    )
    .addOption(
      new Option('--query-timeout <duration>', 'timeout of each Prometheus query and notification')
        .default(10_000, '10s')
        .argParser(duration),
    )
    .addOption(
      new Option('--resend-delay <duration>', 'resend firing notifications this often')
        .default(60_000, '1m')
        .argParser(duration),
    )
    .action(async (opts: DaemonCliOptions) => {
      const { runDaemon } = await import('../../canary/daemon-command.js');
      process.exitCode = await runDaemon(opts);
    });
};
