// The options every command that queries the metrics backend shares (daemon, backtest,
// response-times, monitor-errors): tenant headers and auth next to --prometheus-url. Header syntax
// is checked as the option is read; the rest (files, environment, conflicts) by
// `accessFromOptions` (src/shared/prometheus-access.ts) once the command runs, with every problem reported together.
import { InvalidArgumentError, type Command } from 'commander';
import { parseHeaderArg } from '../../shared/prometheus-access.js';

const header = (raw: string, prev: string[] = []) => {
  const p = parseHeaderArg(raw);
  if (!p.ok) throw new InvalidArgumentError(p.error);
  return [...prev, raw];
};

/** Adds the header and auth options (not --prometheus-url, whose help differs per command). */
export function addPrometheusAccessOptions(cmd: Command): Command {
  return cmd
    .option(
      '--prometheus-header <header>',
      "'Name: value' sent with every query (e.g. 'X-Scope-OrgID: tenant-1' for Mimir); repeatable",
      header,
    )
    .option(
      '--prometheus-bearer-token-file <file>',
      'send the token in this file as bearer auth (or PROMETHEUS_BEARER_TOKEN)',
    )
    .option(
      '--prometheus-basic-auth-user <user>',
      'basic auth user (or PROMETHEUS_BASIC_AUTH_USER); the password from --prometheus-basic-auth-password-file',
    )
    .option(
      '--prometheus-basic-auth-password-file <file>',
      'basic auth password in this file (or PROMETHEUS_BASIC_AUTH_PASSWORD)',
    );
}
