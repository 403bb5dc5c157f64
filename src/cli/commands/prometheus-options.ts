// The options every command that queries the metrics backend shares (daemon, backtest,
// response-times, monitor-errors): tenant headers and auth next to --prometheus-url. Header syntax
// is checked as the option is read; the rest (files, environment, conflicts) by
// `accessFromOptions` (src/shared/prometheus-access.ts) once the command runs, with every problem reported together.
import { InvalidArgumentError, type Command } from 'commander';
import {
  ALERTMANAGER_NAMES,
  parseHeaderArg,
  PROMETHEUS_NAMES,
  type AccessNames,
} from '../../shared/prometheus-access.js';

const header =
  (names: AccessNames) =>
  (raw: string, prev: string[] = []) => {
    const p = parseHeaderArg(raw, names);
    if (!p.ok) throw new InvalidArgumentError(p.error);
    return [...prev, raw];
  };

/** Adds the header and auth options (not --prometheus-url, whose help differs per command). */
export function addPrometheusAccessOptions(cmd: Command): Command {
  return cmd
    .option(
      '--prometheus-header <header>',
      "'Name: value' sent with every query (e.g. 'X-Scope-OrgID: tenant-1' for Mimir); repeatable",
      header(PROMETHEUS_NAMES),
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

/** The same for the daemon's Alertmanager (Mimir's Alertmanager wants the tenant header too). */
export function addAlertmanagerAccessOptions(cmd: Command): Command {
  return cmd
    .option(
      '--alertmanager-header <header>',
      "'Name: value' sent with every notification to Alertmanager (not to webhooks); repeatable",
      header(ALERTMANAGER_NAMES),
    )
    .option(
      '--alertmanager-bearer-token-file <file>',
      'bearer auth to Alertmanager, token in this file (or ALERTMANAGER_BEARER_TOKEN)',
    )
    .option(
      '--alertmanager-basic-auth-user <user>',
      'basic auth user for Alertmanager (or ALERTMANAGER_BASIC_AUTH_USER)',
    )
    .option(
      '--alertmanager-basic-auth-password-file <file>',
      'basic auth password for Alertmanager in this file (or ALERTMANAGER_BASIC_AUTH_PASSWORD)',
    );
}
