// npm run bench:snapshot — what publishing the daemon's status snapshot costs (it is rebuilt after
// every group evaluation, action record and reload; src/canary/http/status-snapshot.ts), for 100 and
// 1,000 alerting rules with one firing instance each and a full action log, beside a baseline in
// the same run: the same views deep-copied (structuredClone) before freezing, as a ratio.
// Pure CPU, no I/O: on a shared machine the ratio means more than the milliseconds.
import { Ring, type ActionRecord } from '../src/canary/actions/action-record.js';
import { evaluateRule } from '../src/canary/engine/evaluator.js';
import { PrometheusWatch } from '../src/canary/engine/prometheus-watch.js';
import { buildStatusSnapshot, type StatusSources } from '../src/canary/http/status-snapshot.js';
import type { AlertingRule } from '../src/canary/types.js';
import { createLogger } from '../src/shared/logger.js';

function rule(i: number): AlertingRule {
  return {
    kind: 'alert',
    name: `rule_${i}`,
    expr: `metric_${i} > 0.1`,
    forMs: 60_000,
    keepFiringForMs: 0,
    labels: Object.freeze({ severity: 'warning', team: 'dev', action: 'notify_dev_team' }),
    annotations: Object.freeze({ summary: `rule ${i} is above 10%` }),
    action: 'notify_dev_team',
    flag: undefined,
    notify: undefined,
    threshold: { lhs: `metric_${i}`, op: '>', value: 0.1 },
    pos: { file: 'bench.yml', line: i, col: 1 },
  };
}

function sources(n: number): StatusSources {
  const rules = Array.from({ length: n }, (_, i) => rule(i));
  const sample = { ok: true as const, samples: [{ labels: { model: 'm' }, value: 0.5 }] };
  const states = new Map(rules.map((r) => [r.name, evaluateRule(r, sample, 0, undefined).state]));
  const actions = new Ring<ActionRecord>(200);
  for (let i = 0; i < 200; i++) {
    actions.push({
      id: `a${i}`,
      time: new Date(i * 1000).toISOString(),
      action: 'notify_dev_team',
      event: 'firing',
      outcome: 'success',
      detail: 'delivered to http://alertmanager:9093/api/v2/alerts (HTTP 200)',
      reason: `rule_${i}: value 0.5 > 0.1 for 60s (active since 1970-01-01T00:00:00.000Z)`,
      rule: `rule_${i}`,
      group: 'bench',
      expr: `metric_${i} > 0.1`,
      value: 0.5,
      threshold: '> 0.1',
      forSeconds: 60,
      activeAt: new Date(0).toISOString(),
      labels: { alertname: `rule_${i}`, model: 'm' },
      attempts: 1,
    });
  }
  const fake = {
    daemon: {
      groups: [{ name: 'bench', file: 'bench.yml', intervalMs: 15_000, rules }],
      ruleIds: new Map(rules.map((r) => [r, r.name])),
      lastReload: undefined,
      seriesCheck: { checked: true, missing: [], awaitingData: [], error: undefined },
      lastGroupResults: new Map(),
    },
    store: { getRule: (id: string) => states.get(id), actions },
    engine: { currentValues: new Map(), stuckRules: () => [] },
    watch: new PrometheusWatch({
      threshold: 3,
      runner: { afterEvaluation: () => undefined } as never,
      logger: createLogger({ name: 'bench', level: 'silent' }),
      prometheusUrl: 'http://prometheus:9090',
      evaluate: evaluateRule,
    }),
    dryRun: false,
    prometheusUrl: 'http://prometheus:9090',
  };
  return fake as unknown as StatusSources;
}

function msPer(fn: () => unknown, runs: number): number {
  for (let i = 0; i < Math.min(20, runs); i++) fn(); // warm up
  const t = performance.now();
  for (let i = 0; i < runs; i++) fn();
  return (performance.now() - t) / runs;
}

console.log('rules  snapshot ms  deep-copy baseline ms  baseline / snapshot');
for (const n of [100, 1000]) {
  const s = sources(n);
  const runs = n === 100 ? 500 : 100;
  // Each build reads fresh views; the baseline copies a fresh one too (what the first version did).
  const snapshot = msPer(() => buildStatusSnapshot(s), runs);
  const baseline = msPer(() => structuredClone(buildStatusSnapshot(s)), runs);
  console.log(
    `${String(n).padStart(5)}  ${snapshot.toFixed(2).padStart(11)}  ${baseline.toFixed(2).padStart(21)}  ${(baseline / snapshot).toFixed(1).padStart(19)}×`,
  );
}
