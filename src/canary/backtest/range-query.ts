// Prometheus history for a backtest: /api/v1/query_range at exactly the daemon's slots (start = a
// slot, step = the group's interval), split into requests of at most 11,000 points per series
// (Prometheus refuses more), read back as one instant vector per slot. A range query evaluates
// the expression at start, start + step, … with the same lookback as an instant query at each of
// those times, so slot t of the answer is what the daemon's instant query at t would have read.
import axios, { type AxiosInstance } from 'axios';
import { secretScrubber } from '../../shared/prometheus-access.js';
import { displayUrl } from '../prometheus/prometheus-client.js';
import { judge, sampleValue, transportError } from '../prometheus/prometheus-response.js';
import type { Sample } from '../types.js';

/** Prometheus's limit on points per series of one range query. */
export const MAX_POINTS = 11_000;

export interface SlotRange {
  /** First slot (ms), a slot of the group. */
  readonly startMs: number;
  /** Last slot (ms), startMs + k × stepMs. */
  readonly endMs: number;
  readonly stepMs: number;
}

/** The samples of each slot, by slot time; a slot with no sample is absent (no data). */
export type SlotVectors = ReadonlyMap<number, readonly Sample[]>;

export type RangeOutcome =
  | { readonly ok: true; readonly slots: SlotVectors; readonly requests: number }
  | { readonly ok: false; readonly error: string };

export interface RangeClient {
  readonly url: string;
  queryRange(expr: string, range: SlotRange): Promise<RangeOutcome>;
}

/** Splits a slot range into ranges of at most `maxPoints` slots each, in order. */
export function chunkRange(range: SlotRange, maxPoints = MAX_POINTS): SlotRange[] {
  const out: SlotRange[] = [];
  const span = (maxPoints - 1) * range.stepMs;
  for (let s = range.startMs; s <= range.endMs; s += span + range.stepMs) {
    out.push({ startMs: s, endMs: Math.min(s + span, range.endMs), stepMs: range.stepMs });
  }
  return out;
}

export function createRangeClient(o: {
  url: string;
  timeoutMs: number;
  /** Tenant headers and auth (src/shared/prometheus-access.ts). */
  headers?: Readonly<Record<string, string>>;
}): RangeClient {
  const shown = displayUrl(o.url);
  const where = `${shown}/api/v1/query_range`;
  const scrub = secretScrubber(o.headers);
  const http: AxiosInstance = axios.create({
    baseURL: o.url.replace(/\/$/, ''),
    timeout: o.timeoutMs,
    headers: { ...o.headers },
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: (d: unknown) => d,
  });

  async function one(expr: string, r: SlotRange): Promise<RangeOutcome> {
    const params = new URLSearchParams({
      query: expr,
      start: (r.startMs / 1000).toFixed(3),
      end: (r.endMs / 1000).toFixed(3),
      step: (r.stepMs / 1000).toFixed(3),
    });
    let judged;
    try {
      const res = await http.post<string>('/api/v1/query_range', params.toString(), {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      judged = judge(res.status, res.data, where);
    } catch (err) {
      return { ok: false, error: transportError(err, where, o.timeoutMs) };
    }
    if (!judged.ok) return { ok: false, error: judged.error };
    return parseMatrix(judged.data, where);
  }

  return {
    url: shown,
    async queryRange(expr, range) {
      const slots = new Map<number, Sample[]>();
      let requests = 0;
      for (const part of chunkRange(range)) {
        const r = await one(expr, part);
        requests++;
        if (!r.ok) return { ok: false, error: `${scrub(r.error)} (query: ${expr})` };
        for (const [t, samples] of r.slots) slots.set(t, [...(slots.get(t) ?? []), ...samples]);
      }
      return { ok: true, slots, requests };
    },
  };
}

/** A range query's matrix (or scalar series) as one instant vector per slot time. */
export function parseMatrix(data: unknown, url: string): RangeOutcome {
  const d = data as { resultType?: unknown; result?: unknown };
  if (typeof d !== 'object' || d === null || !Array.isArray(d.result))
    return { ok: false, error: `${url} answered a "data" without resultType/result` };
  if (d.resultType !== 'matrix')
    return { ok: false, error: `${url} answered a ${String(d.resultType)}, not a matrix` };
  const slots = new Map<number, Sample[]>();
  for (const series of d.result as { metric?: unknown; values?: unknown }[]) {
    if (
      typeof series?.metric !== 'object' ||
      series.metric === null ||
      !Array.isArray(series.values)
    )
      return { ok: false, error: `${url} answered a series without "metric"/"values"` };
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(series.metric)) if (typeof v === 'string') labels[k] = v;
    for (const pair of series.values as unknown[]) {
      const value = sampleValue(pair);
      const t = Array.isArray(pair) ? Number(pair[0]) : NaN;
      if (value === undefined || !Number.isFinite(t))
        return { ok: false, error: `${url} answered a point that is not [time, "value"]` };
      const ms = Math.round(t * 1000);
      const list = slots.get(ms) ?? [];
      list.push({ labels, value });
      slots.set(ms, list);
    }
  }
  return { ok: true, slots, requests: 1 };
}
