// The status page at `/`: server-rendered HTML, no build step, refreshing itself. Every value is
// escaped: labels and errors come from Prometheus and rule files.
import type { ActionRecord } from '../actions/action-record.js';
import { formatValue } from '../actions/action.js';
import type { RuleView } from './api-view.js';
import { renderRolloutSection } from '../rollout/rollout-status-section.js';
import type { StatusSnapshot } from './status-snapshot.js';

/** Rows of the action log the page shows. */
const ACTIONS_SHOWN = 50;

export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STATE_COLOR: Record<string, string> = {
  firing: '#c0392b',
  pending: '#d68910',
  inactive: '#1e8449',
};

export function renderStatusPage(status: StatusSnapshot, refreshSeconds = 5): string {
  const { rules: view, health, rollout } = status;
  const actions = status.actions.slice(0, ACTIONS_SHOWN);
  const banner = [
    view.dryRun ? '<p class="warn">DRY RUN: actions are recorded, never performed.</p>' : '',
    health.prometheus === 'err'
      ? `<p class="err">Prometheus (${escapeHtml(view.prometheus.url)}) is failing: ${escapeHtml(health.lastError ?? '')}</p>`
      : '',
    view.reload && !view.reload.ok
      ? `<p class="err">The last rule reload failed; the previous rules are running:<br>${view.reload.errors.map(escapeHtml).join('<br>')}</p>`
      : '',
    ...health.failingRules.map(
      (f) =>
        `<p class="err">Rule ${escapeHtml(f.rule)} cannot be evaluated (${f.consecutiveFailures} failures in a row): it cannot fire. ${escapeHtml(f.lastError)}</p>`,
    ),
    view.recordedSeries.missing.length > 0
      ? `<p class="warn">Prometheus has no data for recorded series: ${view.recordedSeries.missing.map(escapeHtml).join(', ')} (their recording rules are not loaded there)</p>`
      : '',
    view.recordedSeries.awaitingData.length > 0
      ? `<p>No data yet, as expected, for recorded series whose rules Prometheus runs (e.g. a baseline waits for a day of history): ${view.recordedSeries.awaitingData.map(escapeHtml).join(', ')}</p>`
      : '',
  ].join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${refreshSeconds}">
<title>canary daemon</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}table{border-collapse:collapse;width:100%;margin-bottom:2rem}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
.state{font-weight:600}.err{color:#c0392b}.warn{color:#9a6700}code{font-size:12px}small{color:#666}
</style></head><body>
<h1>canary daemon</h1>
<p>Status: <b>${escapeHtml(health.status)}</b> · Prometheus: <b>${escapeHtml(health.prometheus)}</b> (${escapeHtml(view.prometheus.url)}) · refreshes every ${refreshSeconds}s</p>
${banner}
${rollout ? renderRolloutSection(rollout) : ''}
<h2>Rules</h2>
<table><thead><tr><th>rule</th><th>state</th><th>value</th><th>threshold</th><th>for</th><th>action</th><th>health</th><th>instances</th></tr></thead>
<tbody>${view.rules.map(ruleRow).join('\n')}</tbody></table>
<h2>Last actions</h2>
<table><thead><tr><th>time</th><th>action</th><th>outcome</th><th>what</th><th>why</th></tr></thead>
<tbody>${actions.length === 0 ? '<tr><td colspan="5">none yet</td></tr>' : actions.map(actionRow).join('\n')}</tbody></table>
</body></html>`;
}

function ruleRow(r: RuleView): string {
  const color = STATE_COLOR[r.state] ?? '#222';
  const threshold = r.threshold ? `${r.threshold.op} ${formatValue(r.threshold.value)}` : '—';
  const value = r.value === null ? '<small>no data</small>' : escapeHtml(formatValue(r.value));
  const action = r.action ? escapeHtml(r.action + (r.flag ? ` (${r.flag})` : '')) : '—';
  const health =
    r.health === 'err'
      ? `<span class="err">err: ${escapeHtml(r.lastError ?? '')}</span>`
      : escapeHtml(r.health);
  const instances = r.instances
    .map(
      (i) =>
        `<div>${escapeHtml(i.state)} ${escapeHtml(labelText(i.labels))} = ${escapeHtml(i.value === null ? 'NaN' : formatValue(i.value))} <small>since ${escapeHtml(i.activeAt)}</small></div>`,
    )
    .join('');
  return `<tr id="rule-${escapeHtml(encodeURIComponent(r.name))}"><td><b>${escapeHtml(r.name)}</b><br><small>${escapeHtml(r.group)}</small><br><code>${escapeHtml(r.expr)}</code></td>
<td class="state" style="color:${color}">${escapeHtml(r.state)}</td><td>${value}</td><td>${escapeHtml(threshold)}</td>
<td>${escapeHtml(r.forSeconds)}s</td><td>${action}</td><td>${health}</td><td>${instances || '—'}</td></tr>`;
}

function actionRow(a: ActionRecord): string {
  const cls =
    a.outcome === 'failure'
      ? ' class="err"'
      : a.outcome === 'dry_run' || a.outcome === 'skipped'
        ? ' class="warn"'
        : '';
  return `<tr><td>${escapeHtml(a.time)}</td><td>${escapeHtml(a.action)} <small>${escapeHtml(a.event)}</small></td><td${cls}>${escapeHtml(a.outcome)}</td><td>${escapeHtml(a.detail)}</td><td>${escapeHtml(a.reason)}</td></tr>`;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels)
    .filter(([k]) => k !== 'alertname')
    .map(([k, v]) => `${k}="${v}"`);
  return `{${parts.join(', ')}}`;
}
