// One SVG per alert of a backtest: the rule's value (the threshold's left-hand side) against its
// threshold over the window, with pending and firing bands and a mark at each rollback; and an
// index.html that shows them all with the transitions. Hand-written SVG: no chart library fits a
// step function with state bands, and the files must open anywhere without scripts.
import { formatValue } from '../actions/action.js';
// Escaping for HTML is escaping for SVG text and attributes too.
import { escapeHtml } from '../http/status-page.js';
import type { RuleReplay } from './replay.js';

const W = 960;
const H = 280;
const M = { l: 64, r: 24, t: 44, b: 36 };
const COLOURS = { pending: '#f2b233', firing: '#d93a3a', value: '#2a6fdb', threshold: '#444' };

export function ruleChartSvg(r: RuleReplay, title: string, fromMs: number, toMs: number): string {
  const values = r.points.flatMap((p) => (p.value === null ? [] : [p.value]));
  const limit = r.rule.threshold?.value;
  const all = limit === undefined || !Number.isFinite(limit) ? values : [...values, limit];
  // A loop, not Math.min(...all): a 30-day window has more values than the call stack takes.
  let min = 0;
  let max = all.length === 0 ? 1 : -Infinity;
  for (const v of all) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const ticks = niceTicks(min, max * 1.05);
  const lo = ticks[0]!;
  const hi = ticks.at(-1)!;
  const x = (t: number) => M.l + ((t - fromMs) / Math.max(1, toMs - fromMs)) * (W - M.l - M.r);
  const y = (v: number) => H - M.b - ((v - lo) / (hi - lo || 1)) * (H - M.t - M.b);
  const parts: string[] = [];
  parts.push(...bands(r, x, toMs));
  parts.push(...axes(fromMs, toMs, ticks, x, y));
  if (limit !== undefined && Number.isFinite(limit)) {
    const ly = y(limit).toFixed(1);
    parts.push(
      `<line x1="${M.l}" x2="${W - M.r}" y1="${ly}" y2="${ly}" stroke="${COLOURS.threshold}" stroke-dasharray="6 4"/>`,
      `<text x="${W - M.r - 4}" y="${Number(ly) - 4}" text-anchor="end" font-size="11">${escapeHtml(`${r.rule.threshold!.op} ${formatValue(limit)}`)}</text>`,
    );
  }
  parts.push(
    `<path d="${valuePath(r, x, y)}" fill="none" stroke="${COLOURS.value}" stroke-width="1.5"/>`,
  );
  for (const a of r.actions.filter((a) => a.action === 'immediate_rollback')) {
    const ax = x(a.at).toFixed(1);
    parts.push(
      `<line x1="${ax}" x2="${ax}" y1="${M.t}" y2="${H - M.b}" stroke="#000" stroke-width="2"/>`,
      `<text x="${Number(ax) + 3}" y="${M.t + 12}" font-size="11">rollback ${escapeHtml(new Date(a.at).toISOString().slice(11, 19))}</text>`,
    );
  }
  const head = `${r.rule.name} — ${r.rule.expr}, for ${r.rule.forMs / 1000}s`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<title>${escapeHtml(`${title}: ${head}`)}</title>`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.l}" y="18" font-size="13" font-weight="bold">${escapeHtml(title)}</text>`,
    `<text x="${M.l}" y="34" font-size="11">${escapeHtml(head)}</text>`,
    legend(),
    ...parts,
    '</svg>',
  ].join('\n');
}

/** Pending and firing runs as shaded bands, each from its first slot to the slot after its last. */
function bands(r: RuleReplay, x: (t: number) => number, toMs: number): string[] {
  const out: string[] = [];
  const pts = r.points;
  let i = 0;
  while (i < pts.length) {
    const state = pts[i]!.state;
    let j = i;
    while (j + 1 < pts.length && pts[j + 1]!.state === state) j++;
    if (state !== 'inactive') {
      const x0 = x(pts[i]!.at);
      const x1 = x(pts[j + 1]?.at ?? toMs);
      out.push(
        `<rect x="${x0.toFixed(1)}" y="${M.t}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${H - M.t - M.b}" fill="${COLOURS[state]}" fill-opacity="0.25"><title>${state} ${new Date(pts[i]!.at).toISOString()}</title></rect>`,
      );
    }
    i = j + 1;
  }
  return out;
}

/** The value as a line broken where there is no data; at most two points per pixel column. */
function valuePath(r: RuleReplay, x: (t: number) => number, y: (v: number) => number): string {
  const cols: { col: number; min: number; max: number; gapBefore: boolean }[] = [];
  let gap = true;
  for (const p of r.points) {
    if (p.value === null) {
      gap = true;
      continue;
    }
    const col = Math.round(x(p.at));
    const last = cols.at(-1);
    if (last && last.col === col && !gap) {
      last.min = Math.min(last.min, p.value);
      last.max = Math.max(last.max, p.value);
    } else cols.push({ col, min: p.value, max: p.value, gapBefore: gap });
    gap = false;
  }
  return cols
    .map((c) => {
      const move = c.gapBefore ? 'M' : 'L';
      const a = `${move}${c.col} ${y(c.min).toFixed(1)}`;
      return c.min === c.max ? a : `${a} L${c.col} ${y(c.max).toFixed(1)}`;
    })
    .join(' ');
}

function axes(
  fromMs: number,
  toMs: number,
  ticks: readonly number[],
  x: (t: number) => number,
  y: (v: number) => number,
): string[] {
  const out = [
    `<line x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}" stroke="#888"/>`,
    `<line x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${H - M.b}" stroke="#888"/>`,
  ];
  const days = toMs - fromMs > 86_400_000;
  for (let i = 0; i <= 5; i++) {
    const t = fromMs + ((toMs - fromMs) * i) / 5;
    const iso = new Date(t).toISOString();
    const label = days ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 19);
    out.push(
      `<text x="${x(t).toFixed(1)}" y="${H - M.b + 16}" font-size="10" text-anchor="middle">${label}</text>`,
    );
  }
  for (const v of ticks) {
    out.push(
      `<text x="${M.l - 6}" y="${(y(v) + 3).toFixed(1)}" font-size="10" text-anchor="end">${formatValue(v)}</text>`,
      `<line x1="${M.l}" x2="${W - M.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
    );
  }
  return out;
}

function legend(): string {
  const items: [string, string, boolean][] = [
    ['value', COLOURS.value, false],
    ['threshold', COLOURS.threshold, false],
    ['pending', COLOURS.pending, true],
    ['firing', COLOURS.firing, true],
  ];
  return items
    .map(([name, colour, band], i) => {
      const lx = W - M.r - 300 + i * 75;
      const mark = band
        ? `<rect x="${lx}" y="10" width="14" height="10" fill="${colour}" fill-opacity="0.4"/>`
        : `<line x1="${lx}" x2="${lx + 14}" y1="15" y2="15" stroke="${colour}" stroke-width="2"/>`;
      return `${mark}<text x="${lx + 18}" y="19" font-size="11">${name}</text>`;
    })
    .join('\n');
}

export interface ChartEntry {
  readonly svg: string;
  readonly version: string;
  readonly replay: RuleReplay;
}

/** The page that shows every chart, grouped by alert, each version's chart side by side. */
export function chartsIndexHtml(title: string, entries: readonly ChartEntry[]): string {
  const byAlert = new Map<string, ChartEntry[]>();
  for (const e of entries) {
    const k = `${e.replay.group} / ${e.replay.rule.name}`;
    byAlert.set(k, [...(byAlert.get(k) ?? []), e]);
  }
  const sections = [...byAlert].map(([alert, es]) => {
    const charts = es
      .map((e) => {
        const rows = e.replay.transitions
          .map(
            (t) =>
              `<tr><td>${new Date(t.at).toISOString()}</td><td>${escapeHtml(t.instance)}</td><td>${t.from} → ${t.to}</td><td>${t.value === null ? '-' : escapeHtml(formatValue(t.value))}</td></tr>`,
          )
          .join('');
        return `<figure><figcaption>${escapeHtml(e.version)}</figcaption><img src="${escapeHtml(e.svg)}" alt="${escapeHtml(alert)}"><table><tr><th>time</th><th>instance</th><th>transition</th><th>value</th></tr>${rows}</table></figure>`;
      })
      .join('\n');
    return `<section><h2>${escapeHtml(alert)}</h2>\n${charts}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:1.5em}figure{display:inline-block;margin:0 1em 1em 0;vertical-align:top}img{max-width:100%}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${sections.join('\n')}
</body></html>
`;
}

/** Round tick values (1, 2 or 5 × 10^k apart) from at or below `lo` to at or above `hi`. */
function niceTicks(lo: number, hi: number): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; out.length < 12; v += step) {
    out.push(Number(v.toPrecision(12)));
    if (v >= hi) break;
  }
  return out;
}
