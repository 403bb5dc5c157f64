// `canary simulate` judges a rule by a path of its own: counters backfilled into a Prometheus,
// recorded series inlined, query_range at the group's interval, then the daemon's evaluator. This
// holds that path to Prometheus's rule engine: the same simulated counters go to
// `promtool test rules` with the real rule file (recording rules evaluated first at each step,
// as group_eval_order does), and the ALERTS series promtool produces for ai_service_failure must
// show, minute by minute, exactly the state our replay has.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { evaluateRule } from '../../src/canary/engine/evaluator.js';
import type { RuleState } from '../../src/canary/types.js';
import { scopeSelectors } from '../../src/simulate/scope-selectors.js';
import { loadAlert } from '../../src/simulate/simulate.js';
import { METRIC, RUN_LABEL, startSimPrometheus } from '../../src/simulate/sim-prometheus.js';
import { generateCounters, type Counters } from '../../src/simulate/traffic.js';

const STEP_MS = 15_000;
const MIN = 60_000;
const RULES = path.resolve('rules/ai-search.rules.yml');
const dir = mkdtempSync(path.join(tmpdir(), 'canary-simulate-parity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 2 h at 0.5 calls/s: 2%, then 30% (fast rollback), 2%, 13% (only the 15m window sees it), 2%. */
function history(seed: number): Counters {
  const phases = [0.02, 0.3, 0.02, 0.13, 0.13, 0.02];
  return generateCounters({
    ratePerSec: 0.5,
    schedule: (t) => phases[Math.min(phases.length - 1, Math.floor(t / (20 * MIN)))]!,
    durationMs: 120 * MIN,
    scrapeMs: STEP_MS,
    seed,
  });
}

function promtoolStates(c: Counters, expected: readonly (string | undefined)[]) {
  const values = (a: Float64Array) => Array.from(a, (v) => String(v)).join(' ');
  const ok = Float64Array.from(c.calls, (v, i) => v - c.failed[i]!);
  const labels = {
    action: 'immediate_rollback',
    flag: 'ai-search-enabled',
    notify: 'notify_dev_team',
    severity: 'critical',
    team: 'dev',
  };
  const lbl = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  writeFileSync(
    path.join(dir, 'parity.test.yml'),
    stringify({
      rule_files: [RULES],
      evaluation_interval: '15s',
      group_eval_order: [
        'ai_search_recording',
        'ai_search_cost_recording',
        'ai_search_alerts',
        'ai_search_targets',
        'canary_daemon_health',
      ],
      tests: [
        {
          interval: '15s',
          input_series: [
            { series: `${METRIC}{gen_ai_provider_name="openai"}`, values: values(ok) },
            {
              series: `${METRIC}{gen_ai_provider_name="openai",error_type="timeout"}`,
              values: values(c.failed),
            },
          ],
          promql_expr_test: expected.map((state, minute) => ({
            expr: 'ALERTS{alertname="ai_service_failure"}',
            eval_time: `${minute}m`,
            exp_samples: state
              ? [
                  {
                    labels: `ALERTS{alertname="ai_service_failure",alertstate="${state}",${lbl}}`,
                    value: 1,
                  },
                ]
              : [],
          })),
        },
      ],
    }),
  );
  const out = spawnSync('promtool', ['test', 'rules', 'parity.test.yml'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (out.error) throw new Error(`promtool could not run: ${out.error.message}`);
  return { status: out.status, output: `${out.stdout}${out.stderr}` };
}

describe('simulate replays ai_service_failure exactly as Prometheus evaluates it', () => {
  it('agrees with promtool minute by minute over 2 h of simulated traffic', async () => {
    const counters = history(77);
    const alert = await loadAlert({ label: 'landed', file: RULES }, 'ai_service_failure', STEP_MS);
    const prom = await startSimPrometheus(
      [{ id: 'p', counters }],
      { firstScrapeMs: 0, scrapeMs: STEP_MS },
      1,
    );
    let values;
    try {
      values = await prom.queryRange(
        scopeSelectors(alert.expr, RUN_LABEL, 'p'),
        0,
        120 * MIN,
        STEP_MS,
      );
    } finally {
      await prom.stop();
    }
    const perMinute: (string | undefined)[] = [];
    let state: RuleState | undefined;
    for (let now = 0; now <= 120 * MIN; now += STEP_MS) {
      state = evaluateRule(
        alert.rule,
        { ok: true, samples: values.get(now) ?? [] },
        now,
        state,
      ).state;
      if (now % MIN === 0) {
        const s = [...state.instances.values()][0]?.state;
        perMinute.push(s === 'pending' || s === 'firing' ? s : undefined);
      }
    }
    // The history is only a test if the alert both fires and stays quiet in it.
    expect(perMinute).toContain('firing');
    expect(perMinute).toContain(undefined);
    const out = promtoolStates(counters, perMinute);
    expect(out.status, out.output).toBe(0);
  });
});
