// A small builder for Grafana dashboard JSON (schema 39): time series and stat panels with their
// thresholds drawn, Prometheus annotations, rows. The dashboards are generated from code so that
// every panel follows the same conventions and the test can list every query.

/** The provisioned Prometheus datasource (dashboards/provisioning/datasources). */
export const DATASOURCE = Object.freeze({ type: 'prometheus', uid: 'prometheus' });

export interface Target {
  readonly expr: string;
  readonly legend: string;
}

export interface Threshold {
  readonly value: number;
  readonly color: 'green' | 'orange' | 'red';
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly targets: readonly Target[];
  readonly unit: string;
  readonly kind?: 'timeseries' | 'stat' | 'state-timeline';
  /** Drawn as lines; `base` is the colour below the first one. */
  readonly thresholds?: readonly Threshold[];
  readonly base?: 'green' | 'red' | 'transparent';
  readonly width?: number;
  readonly max?: number;
}

export interface AnnotationSpec {
  readonly name: string;
  readonly expr: string;
  readonly color: string;
  readonly title: string;
  readonly text: string;
}

export type Section = { readonly row: string; readonly panels: readonly PanelSpec[] };

const HEIGHT = 8;

/**
 * Moments when the daemon ran an action, for annotations. The daemon exports its counters at 0
 * from start-up, but a daemon that acts before its first scrape (a restart while an alert is due)
 * shows a series that is born at 1, which `increase()` cannot see; a series new within the window
 * counts too, if it is above 0 (every series of a daemon younger than the window is new, and the
 * ones at 0 are no event).
 */
export function actionEvents(selector: string): string {
  return bornOrIncreased(`canary_actions_total${selector}`, 'action, outcome');
}

/** `sum by (labels)` of the series of counter `s` that increased within 2m, or were born above 0. */
export function bornOrIncreased(s: string, labels: string): string {
  return `sum by (${labels}) ((increase(${s}[2m]) > 0) or (${s} > 0 unless ${s} offset 2m))`;
}

function fieldConfig(p: PanelSpec): Record<string, unknown> {
  const steps = [
    { color: p.base ?? 'green', value: null },
    ...(p.thresholds ?? []).map((t) => ({ color: t.color, value: t.value })),
  ];
  const custom =
    p.kind === 'stat' || p.kind === 'state-timeline'
      ? {}
      : {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: 10,
          spanNulls: true,
          thresholdsStyle: { mode: p.thresholds?.length ? 'line+area' : 'off' },
        };
  return {
    defaults: {
      unit: p.unit,
      ...(p.max !== undefined ? { max: p.max } : {}),
      min: 0,
      color: { mode: p.kind === 'state-timeline' ? 'thresholds' : 'palette-classic' },
      thresholds: { mode: 'absolute', steps },
      custom,
    },
    overrides: [],
  };
}

function panelJson(p: PanelSpec, id: number, x: number, y: number): Record<string, unknown> {
  return {
    id,
    type: p.kind ?? 'timeseries',
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos: { h: HEIGHT, w: p.width ?? 8, x, y },
    fieldConfig: fieldConfig(p),
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
    targets: p.targets.map((t, i) => ({
      datasource: DATASOURCE,
      refId: String.fromCharCode(65 + i),
      expr: t.expr,
      legendFormat: t.legend,
      range: true,
    })),
  };
}

function annotationJson(a: AnnotationSpec): Record<string, unknown> {
  return {
    name: a.name,
    datasource: DATASOURCE,
    enable: true,
    iconColor: a.color,
    expr: a.expr,
    step: '15s',
    titleFormat: a.title,
    textFormat: a.text,
    useValueForTime: false,
  };
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly sections: readonly Section[];
  readonly annotations: readonly AnnotationSpec[];
}

/** The dashboard JSON Grafana imports (panels laid out left to right, rows of 24 columns). */
export function dashboardJson(d: DashboardSpec): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const section of d.sections) {
    panels.push({
      id: id++,
      type: 'row',
      title: section.row,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    for (const p of section.panels) {
      const w = p.width ?? 8;
      if (x + w > 24) {
        x = 0;
        y += HEIGHT;
      }
      panels.push(panelJson(p, id++, x, y));
      x += w;
    }
    y += HEIGHT;
  }
  return {
    uid: d.uid,
    title: d.title,
    description: d.description,
    tags: [...d.tags],
    editable: true,
    schemaVersion: 39,
    version: 1,
    timezone: 'browser',
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    templating: { list: [] },
    annotations: {
      list: [
        {
          builtIn: 1,
          name: 'Annotations & Alerts',
          type: 'dashboard',
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
        },
        ...d.annotations.map(annotationJson),
      ],
    },
    panels,
  };
}

/** Every PromQL query of a dashboard JSON, with where it comes from (for the tests). */
export interface DashboardQuery {
  /** `dashboard / panel` (or `dashboard / annotation name`). */
  readonly panel: string;
  readonly where: string;
  readonly expr: string;
  readonly annotation: boolean;
}

export function dashboardQueries(json: unknown): DashboardQuery[] {
  const d = json as {
    title: string;
    panels: { title: string; targets?: { expr: string; refId: string }[] }[];
    annotations: { list: { name: string; expr?: string }[] };
  };
  const out: DashboardQuery[] = [];
  for (const p of d.panels) {
    for (const t of p.targets ?? [])
      out.push({
        panel: `${d.title} / ${p.title}`,
        where: `${d.title} / ${p.title} / ${t.refId}`,
        expr: t.expr,
        annotation: false,
      });
  }
  for (const a of d.annotations.list) {
    if (a.expr)
      out.push({
        panel: `${d.title} / annotation ${a.name}`,
        where: `${d.title} / annotation ${a.name}`,
        expr: a.expr,
        annotation: true,
      });
  }
  return out;
}
