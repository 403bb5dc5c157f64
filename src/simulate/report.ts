// How `canary simulate` shows its figures: plain-text tables for the terminal, an OC chart as
// hand-written SVG, and one HTML page holding both. Pure: results in, text out.
import { goalTable, pct, ttrQuantile, withinShare, type RuleResults } from './results.js';

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const mark = (met: boolean | undefined) => (met === undefined ? '' : met ? ' ✓' : ' ✗');

export function goalText(results: readonly RuleResults[]): string {
  const rows = goalTable(results).map((r) => [
    r.goal,
    r.traffic,
    r.target,
    ...r.measured.map((m) => m.text + mark(m.met)),
  ]);
  return table(['goal', 'traffic', 'target', ...results.map((r) => r.label)], rows);
}

export function ocText(r: RuleResults, withinMs: number): string {
  const rates = [...new Set(r.steps.map((s) => s.rate))];
  const failures = [...new Set(r.steps.map((s) => s.failure))].sort((a, b) => a - b);
  const rows = failures.map((p) => [
    pct(p),
    ...rates.map((rate) => {
      const s = r.steps.find((x) => x.rate === rate && x.failure === p);
      return s === undefined ? '' : `${(withinShare(s.ttrMs, withinMs) * 100).toFixed(0)}%`;
    }),
  ]);
  return table(['failure rate', ...rates.map((x) => `${x}/s`)], rows);
}

export function ttrText(r: RuleResults): string {
  const rows = r.steps.map((s) => {
    const q = (x: number) => {
      const v = ttrQuantile(s.ttrMs, x);
      return v === undefined ? 'missed' : (v / 60_000).toFixed(2);
    };
    return [
      `${s.rate}/s`,
      pct(s.failure),
      q(0.1),
      q(0.5),
      q(0.9),
      q(1),
      String(s.ttrMs.filter((t) => t === undefined).length),
      String(s.early),
    ];
  });
  return table(['traffic', 'step to', 'p10 min', 'median', 'p90', 'max', 'missed', 'early'], rows);
}

export function steadyText(r: RuleResults): string {
  const rows = r.steady.map((s) => [
    `${s.rate}/s`,
    pct(s.failure),
    s.evaluatedDays.toFixed(1),
    String(s.firings),
    s.per30Days.toFixed(2),
  ]);
  return table(['traffic', 'failure rate', 'days', 'rollbacks', 'per 30 days'], rows);
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** P(rollback within T) against the true failure rate: one line per traffic level, one dash style per rule set. */
export function ocSvg(results: readonly RuleResults[], withinMs: number): string {
  const W = 860,
    H = 440,
    L = 60,
    R = 340,
    T = 40,
    B = 50;
  const pw = W - L - R,
    ph = H - T - B;
  const failures = [...new Set(results.flatMap((r) => r.steps.map((s) => s.failure)))];
  const xmax = Math.max(0.35, ...failures);
  const x = (p: number) => L + (p / xmax) * pw;
  const y = (v: number) => T + (1 - v) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="22" font-size="14" font-weight="bold">P(rollback within ${withinMs / 60_000} min of a step from the baseline) against the true failure rate</text>`,
  ];
  for (let v = 0; v <= 1.0001; v += 0.25) {
    out.push(`<line x1="${L}" y1="${y(v)}" x2="${L + pw}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${Math.round(v * 100)}%</text>`);
  }
  for (let p = 0; p <= xmax + 1e-9; p += 0.05) {
    out.push(
      `<text x="${x(p)}" y="${T + ph + 18}" text-anchor="middle">${Math.round(p * 100)}%</text>`,
    );
  }
  for (const [p, what] of [
    [0.05, 'target'],
    [0.07, ''],
    [0.1, 'threshold'],
  ] as const) {
    out.push(
      `<line x1="${x(p)}" y1="${T}" x2="${x(p)}" y2="${T + ph}" stroke="#999" stroke-dasharray="2,3"/>`,
    );
    if (what) out.push(`<text x="${x(p) + 3}" y="${T + 12}" fill="#666">${what}</text>`);
  }
  out.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(
    `<text x="${L + pw / 2}" y="${H - 10}" text-anchor="middle">true AI failure rate after the step (baseline before it)</text>`,
  );
  let legend = T + 10;
  results.forEach((r, ri) => {
    const rates = [...new Set(r.steps.map((s) => s.rate))];
    rates.forEach((rate, i) => {
      const pts = r.steps
        .filter((s) => s.rate === rate)
        .sort((a, b) => a.failure - b.failure)
        .map((s) => `${x(s.failure).toFixed(1)},${y(withinShare(s.ttrMs, withinMs)).toFixed(1)}`);
      const color = COLORS[i % COLORS.length]!;
      const dash = ri === 0 ? '' : ` stroke-dasharray="${ri === 1 ? '6,4' : '2,2'}"`;
      out.push(
        `<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
      );
      for (const pt of pts) {
        const [cx, cy] = pt.split(',');
        out.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="${color}"/>`);
      }
      out.push(
        `<line x1="${L + pw + 12}" y1="${legend}" x2="${L + pw + 40}" y2="${legend}" stroke="${color}" stroke-width="2"${dash}/>`,
      );
      out.push(`<text x="${L + pw + 46}" y="${legend + 4}">${esc(r.label)} ${rate}/s</text>`);
      legend += 18;
    });
  });
  out.push('</svg>');
  return out.join('\n');
}

export function htmlReport(
  results: readonly RuleResults[],
  withinMs: number,
  command: string,
): string {
  const pre = (s: string) => `<pre>${esc(s)}</pre>`;
  const parts = [
    '<!doctype html><html><head><meta charset="utf-8"><title>canary simulate</title>',
    '<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}pre{background:#f6f6f6;padding:1em;overflow-x:auto}</style></head><body>',
    '<h1>Operating characteristics of the rollback rule</h1>',
    `<p>Command: <code>${esc(command)}</code></p>`,
    '<h2>Goal table (issue 10)</h2>',
    pre(goalText(results)),
    '<h2>OC curve</h2>',
    ocSvg(results, withinMs),
  ];
  for (const r of results) {
    parts.push(`<h2>${esc(r.label)}: ${esc(r.file)}</h2>`);
    parts.push('<h3>False rollbacks at steady failure rates</h3>', pre(steadyText(r)));
    parts.push(
      `<h3>P(rollback within ${withinMs / 60_000} min) after a step</h3>`,
      pre(ocText(r, withinMs)),
    );
    parts.push('<h3>Time to rollback after a step (minutes)</h3>', pre(ttrText(r)));
  }
  parts.push('</body></html>');
  return parts.join('\n');
}
