// The rollout's section of the status page: the plan with the current step marked, the time left
// in the hold, each gate's verdict with its numbers, and the timeline. Rendered from one
// RolloutView snapshot; every value escaped (reasons carry alert names from rule files).
import { formatDuration } from '../rules/duration.js';
import type { GateVerdict } from '../../rollout/gates.js';
import { escapeHtml } from '../http/status-page.js';
import { currentStep, type RolloutView } from './rollout-view.js';

const VERDICT_COLOR: Record<GateVerdict, string> = {
  pass: '#1e8449',
  blocked: '#d68910',
  failed: '#c0392b',
};

export function renderRolloutSection(v: RolloutView): string {
  if (!v.planRef && !v.plan) {
    return '<h2>Rollout</h2><p>No rollout plan has been started (<code>canary rollout start</code>).</p>';
  }
  const step = currentStep(v);
  const s = v.state;
  const phase = `<b>${escapeHtml(s.phase)}</b>${step !== undefined ? ` at step ${step + 1}` : ''}`;
  const hold =
    v.holdLeftMs === undefined
      ? ''
      : ` · hold left: <b id="rollout-hold-left">${escapeHtml(formatDuration(Math.round(v.holdLeftMs / 1000) * 1000) || '0s')}</b>${s.phase === 'paused' ? ' (frozen while paused)' : ''}`;
  const why =
    s.phase === 'paused' || s.phase === 'aborted'
      ? `<p class="${s.phase === 'aborted' ? 'err' : 'warn'}">${escapeHtml(s.reason)}</p>`
      : '';
  const plan = v.plan;
  const ref = v.planRef
    ? `${escapeHtml(v.planRef.file)}${v.planRef.timeScale !== 1 ? ` (time scale ${escapeHtml(v.planRef.timeScale)})` : ''}`
    : '';
  const steps = plan
    ? plan.steps
        .map((st, i) => {
          const mark = i === step ? ' style="background:#eef6ff;font-weight:600"' : '';
          const done =
            s.phase === 'succeeded' || (step !== undefined && i < step)
              ? 'done'
              : i === step
                ? s.phase
                : '';
          return `<tr${mark}><td>${i + 1}</td><td>${escapeHtml(st.name)}</td><td>${escapeHtml(st.segment)}</td><td>${st.percentage}%</td><td>${escapeHtml(formatDuration(st.holdMs))}</td><td>${st.minSample.searches} searches, ${st.minSample.users} users</td><td>${escapeHtml(done)}</td></tr>`;
        })
        .join('\n')
    : '';
  const look = v.lastLook;
  const gates =
    s.phase === 'progressing' && look
      ? `<h3>Gates at ${escapeHtml(new Date(look.at).toISOString())}</h3>
<p>Sample in this step: <b>${look.sample.searches}</b> AI searches, <b>${look.sample.users}</b> users${step !== undefined && plan?.steps[step] ? ` (minimum ${plan.steps[step]!.minSample.searches} and ${plan.steps[step]!.minSample.users})` : ''}${look.error ? ` · <span class="err">${escapeHtml(look.error)}</span>` : ''}</p>
<table id="rollout-gates"><thead><tr><th>gate</th><th>verdict</th><th>numbers</th></tr></thead><tbody>
${look.gates.map((g) => `<tr><td>${escapeHtml(g.gate)}</td><td class="state" style="color:${VERDICT_COLOR[g.verdict]}">${escapeHtml(g.verdict)}</td><td>${escapeHtml(g.reason)}</td></tr>`).join('\n')}
</tbody></table>`
      : '';
  const timeline = v.timeline
    .slice(-12)
    .reverse()
    .map(
      (t) =>
        `<tr><td>${escapeHtml(new Date(t.at).toISOString())}</td><td>${escapeHtml(t.from)} → ${escapeHtml(t.to)}</td><td>${t.step === undefined ? '' : t.step + 1}</td><td>${escapeHtml(t.reason)}</td></tr>`,
    )
    .join('\n');
  return `<h2 id="rollout">Rollout</h2>
<p>Plan ${ref} · flag <code>${escapeHtml(plan?.flag ?? '')}</code> · ${phase}${hold} · ${v.leader ? '' : '<span class="warn">not the leader: watching only</span> · '}${escapeHtml(v.leadership)}</p>
${v.planError ? `<p class="err">${escapeHtml(v.planError)}</p>` : ''}${why}
<table id="rollout-plan"><thead><tr><th>#</th><th>step</th><th>segment</th><th>percentage</th><th>hold</th><th>minimum sample</th><th></th></tr></thead><tbody>
${steps}
</tbody></table>
${gates}
<h3>Timeline</h3>
<table id="rollout-timeline"><thead><tr><th>time</th><th>transition</th><th>step</th><th>why</th></tr></thead><tbody>
${timeline || '<tr><td colspan="4">nothing yet</td></tr>'}
</tbody></table>`;
}
