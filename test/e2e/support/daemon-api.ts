// Reading the canary daemon from the outside, as an operator does: /api/rules, /api/actions,
// /healthz and /metrics. The types are the daemon's own view types.
import type { ActionRecord } from '../../../src/canary/actions/action-record.js';
import type { HealthView, RuleView, RulesView } from '../../../src/canary/http/api-view.js';

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export function daemonRules(daemonUrl: string): Promise<RulesView> {
  return getJson<RulesView>(`${daemonUrl}/api/rules`);
}

export async function daemonRule(daemonUrl: string, name: string): Promise<RuleView> {
  const rule = (await daemonRules(daemonUrl)).rules.find((r) => r.name === name);
  if (!rule) throw new Error(`the daemon at ${daemonUrl} has no rule ${name}`);
  return rule;
}

export async function daemonActions(daemonUrl: string): Promise<readonly ActionRecord[]> {
  return (await getJson<{ actions: ActionRecord[] }>(`${daemonUrl}/api/actions?limit=1000`))
    .actions;
}

export function daemonHealth(daemonUrl: string): Promise<HealthView> {
  return getJson<HealthView>(`${daemonUrl}/healthz`);
}

/** The sum of every sample of `name` on the daemon's /metrics whose labels include `labels`. */
export async function daemonMetric(
  daemonUrl: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Promise<number> {
  const res = await fetch(`${daemonUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const set = m[2] ?? '';
    const matches = Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`));
    if (matches) sum += Number(m[3]);
  }
  return sum;
}

export interface RuleStateWatch {
  /** Every state the rule was seen in, and how often /api/rules failed to answer. */
  readonly seen: Set<string>;
  readonly unanswered: number;
  stop(): void;
}

/** Samples a rule's state every `intervalMs` until stopped (to prove it never left inactive). */
export function watchRuleState(
  daemonUrl: () => string,
  name: string,
  intervalMs = 250,
): RuleStateWatch {
  const seen = new Set<string>();
  let unanswered = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    daemonRule(daemonUrl(), name)
      .then((r) => seen.add(r.state))
      .catch(() => unanswered++)
      .finally(() => (busy = false));
  }, intervalMs);
  return {
    seen,
    get unanswered() {
      return unanswered;
    },
    stop: () => clearInterval(timer),
  };
}

export interface LogLine {
  readonly level: number;
  readonly time: number;
  readonly msg: string;
}

/** The daemon's JSON log lines written at or after `since` (pino: level 40 WARN, 50 ERROR). */
export function logLinesSince(output: string, since: number): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of output.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      const l = JSON.parse(text) as LogLine;
      if (l.time >= since) lines.push(l);
    } catch {
      // a line cut by the output buffer's trimming
    }
  }
  return lines;
}
