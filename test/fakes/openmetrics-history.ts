// Deterministic Prometheus history for backfill (`promtool tsdb create-blocks-from openmetrics`):
// gauges and counters sampled every `stepMs` from a schedule of values, as the OpenMetrics text.

/** Minutes from the start → value from that minute on (the last entry at or before t applies). */
export type Schedule = readonly (readonly [minute: number, value: number])[];

export interface HistorySeries {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly type: 'gauge' | 'counter';
  /** A gauge's value, or a counter's increase per sample. */
  readonly schedule: Schedule;
}

export function valueAt(schedule: Schedule, minute: number): number {
  let v = schedule[0]?.[1] ?? 0;
  for (const [m, x] of schedule) if (m <= minute) v = x;
  return v;
}

export function openMetricsHistory(
  series: readonly HistorySeries[],
  startMs: number,
  endMs: number,
  stepMs: number,
): string {
  const families = new Map<string, string[]>();
  for (const s of series) {
    const family = s.type === 'counter' ? s.name.replace(/_total$/, '') : s.name;
    const lines = families.get(family) ?? [`# TYPE ${family} ${s.type}`];
    const labels = Object.entries(s.labels ?? {})
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    let total = 0;
    for (let t = startMs; t <= endMs; t += stepMs) {
      const v = valueAt(s.schedule, (t - startMs) / 60_000);
      total += v;
      const shown = s.type === 'counter' ? total : v;
      lines.push(`${s.name}${labels ? `{${labels}}` : ''} ${shown} ${(t / 1000).toFixed(3)}`);
    }
    families.set(family, lines);
  }
  return `${[...families.values()].flat().join('\n')}\n# EOF\n`;
}
