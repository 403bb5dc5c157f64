// `canary rules check FILE…`: the daemon's own loader, run on its own, with a report for people.
import { ACTIONS } from '../types.js';
import type { RuleGroup } from '../types.js';
import { formatRuleError, loadRuleFiles } from './load-rules.js';

export interface CheckOutput {
  readonly ok: boolean;
  /** Lines for stdout (the summary) and stderr (one `file:line:col: message` per error). */
  readonly stdout: readonly string[];
  readonly stderr: readonly string[];
}

/** The interval does not matter for checking; groups without one are reported as "default". */
const CHECK_INTERVAL_MS = 0;

export async function checkRuleFiles(paths: readonly string[]): Promise<CheckOutput> {
  const result = await loadRuleFiles(paths, { defaultIntervalMs: CHECK_INTERVAL_MS });
  if (!result.ok) {
    const stderr = result.errors.map(formatRuleError);
    stderr.push(
      `${result.errors.length} error${result.errors.length === 1 ? '' : 's'} in rule files`,
    );
    return { ok: false, stdout: [], stderr };
  }
  return { ok: true, stdout: summary(result.groups, result.files), stderr: [] };
}

function summary(groups: readonly RuleGroup[], files: readonly string[]): string[] {
  const rules = groups.flatMap((g) => g.rules);
  const alerts = rules.filter((r) => r.kind === 'alert');
  const lines = [
    `OK: ${files.length} file${files.length === 1 ? '' : 's'}, ${groups.length} groups, ` +
      `${alerts.length} alerting rules, ${rules.length - alerts.length} recording rules`,
  ];
  for (const action of ACTIONS) {
    const names = alerts
      .filter((a) => a.action === action)
      .map((a) => (a.flag ? `${a.name} (flag ${a.flag})` : a.name));
    if (names.length > 0) lines.push(`  ${action}: ${names.join(', ')}`);
  }
  const shown = alerts.filter((a) => a.action === undefined).map((a) => a.name);
  if (shown.length > 0) lines.push(`  no action (shown only): ${shown.join(', ')}`);
  return lines;
}
