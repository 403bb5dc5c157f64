// Prometheus's external labels, for the daemon's notifications. Prometheus loads the same rules and
// sends the same alerts (the backstop for when the daemon is down), adding its
// `global.external_labels` to each. Alertmanager merges two alerts only when their label sets are
// equal, so the daemon's copy must carry the same external labels or every incident arrives twice.
// They are read from Prometheus itself (/api/v1/status/config), the one source that cannot drift
// from what Prometheus sends; a copy in the daemon's config could.
import axios from 'axios';
import { parse } from 'yaml';
import type { Clock } from '../../shared/clock.js';
import { secretScrubber } from '../../shared/prometheus-access.js';

export type Labels = Readonly<Record<string, string>>;

export type ParsedLabels = { ok: true; labels: Labels } | { ok: false; error: string };

/** global.external_labels of Prometheus's loaded configuration (the `yaml` of status/config). */
export function parseExternalLabels(body: unknown): ParsedLabels {
  const yaml = (body as { status?: unknown; data?: { yaml?: unknown } } | undefined)?.data?.yaml;
  if ((body as { status?: unknown })?.status !== 'success' || typeof yaml !== 'string')
    return { ok: false, error: 'the answer is not a Prometheus status/config answer' };
  let config: unknown;
  try {
    config = parse(yaml);
  } catch (err) {
    return { ok: false, error: `its configuration is not YAML: ${(err as Error).message}` };
  }
  const raw = (config as { global?: { external_labels?: unknown } } | null)?.global
    ?.external_labels;
  if (raw === undefined || raw === null) return { ok: true, labels: {} };
  if (typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, error: 'global.external_labels is not a map' };
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== 'string')
      return { ok: false, error: `external label ${name} is not a string` };
    labels[name] = value;
  }
  return { ok: true, labels: Object.freeze(labels) };
}

/**
 * Labels as Prometheus sends an alert to Alertmanager: the alert's own labels win, an external
 * label fills in only a name the alert lacks (Prometheus's notifier does the same).
 */
export function withExternalLabels(alertLabels: Labels, external: Labels): Labels {
  return { ...external, ...alertLabels };
}

export interface ExternalLabelSource {
  /** The labels to add: waits for the first answer (bounded by the timeout), then cached. */
  get(): Promise<Labels>;
}

export interface ExternalLabelOptions {
  readonly prometheusUrl: string;
  /** Tenant headers and auth (src/shared/prometheus-access.ts). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** Read again this often, so a Prometheus config reload is followed (10 min). */
  readonly refreshMs?: number;
  /** After a failure, ask again no sooner than this (1 min); meanwhile the last labels are used. */
  readonly retryMs?: number;
  readonly onError?: (error: string) => void;
}

export function createExternalLabelSource(o: ExternalLabelOptions): ExternalLabelSource {
  const refreshMs = o.refreshMs ?? 600_000;
  const retryMs = o.retryMs ?? 60_000;
  const url = `${o.prometheusUrl.replace(/\/$/, '')}/api/v1/status/config`;
  const scrub = secretScrubber(o.headers);
  let labels: Labels = {};
  let known = false;
  let nextAt = 0;
  let inFlight: Promise<void> | undefined;

  const fetchLabels = async (): Promise<void> => {
    let parsed: ParsedLabels;
    try {
      const res = await axios.get(url, {
        timeout: o.timeoutMs,
        headers: { ...o.headers },
        validateStatus: () => true,
      });
      parsed =
        res.status === 200
          ? parseExternalLabels(res.data)
          : { ok: false, error: `HTTP ${res.status}` };
    } catch (err) {
      parsed = { ok: false, error: (err as Error).message };
    }
    if (parsed.ok) {
      labels = parsed.labels;
      known = true;
      nextAt = o.clock.now() + refreshMs;
    } else {
      nextAt = o.clock.now() + retryMs;
      o.onError?.(scrub(parsed.error));
    }
  };

  return {
    async get() {
      if (o.clock.now() >= nextAt) {
        inFlight ??= fetchLabels().finally(() => (inFlight = undefined));
        // Until the first answer, wait for it (else the first copy would miss the labels);
        // afterwards a refresh runs in the background and the cached labels serve.
        if (!known) await inFlight;
      }
      return labels;
    },
  };
}
