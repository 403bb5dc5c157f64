// `canary backtest` against the live daemon on the same recorded history. A real Prometheus holds
// 40 minutes of backfilled traffic (promtool). The daemon, on a clock stepped through that past
// and querying the real Prometheus, records every transition its evaluator produces; the backtest
// replays the same window through query_range. Both must list the same transitions at the same
// slots. The CLI's table, diff, JSON, charts and exit codes are checked on the same Prometheus.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertKey } from '../../src/canary/engine/alert-key.js';
import { createRangeClient } from '../../src/canary/backtest/range-query.js';
import { runBacktest } from '../../src/canary/backtest/run-backtest.js';
import { evaluateRule } from '../../src/canary/engine/evaluator.js';
import { startDaemon } from '../../src/canary/main.js';
import { loadRuleFiles } from '../../src/canary/rules/load-rules.js';
import type { Transition } from '../../src/canary/types.js';
import { FakeClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { startPrometheus, type PrometheusHandle } from '../harness/index.js';
import { openMetricsHistory, type HistorySeries } from '../fakes/openmetrics-history.js';

const RULES = path.resolve('test/integration/fixtures/backtest-rules.yml');
const STEP_MS = 15_000;
const MINUTES = 40;
// A whole hour three hours ago: inside the 1-day retention, well before the head block.
const T0 = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000;
const T1 = T0 + MINUTES * 60_000;

const RATIO = [
  [0, 0.02],
  [5, 0.3],
  [13, 0.02],
  [18, 0.3],
  [19, 0.02],
  [25, 0.15],
  [31, 0.02],
] as const;
const HISTORY: HistorySeries[] = [
  { name: 'test_ai_error_ratio', type: 'gauge', schedule: RATIO },
  { name: 'test:ai_error_ratio:max', type: 'gauge', schedule: RATIO },
  { name: 'test_llm_calls_total', type: 'counter', schedule: [[0, 10]] },
  {
    name: 'test_llm_failures_total',
    type: 'counter',
    schedule: [
      [0, 0.2],
      [10, 5],
      [16, 0.2],
    ],
  },
  {
    name: 'test_route_error_ratio',
    labels: { route: '/search' },
    type: 'gauge',
    schedule: [
      [0, 0],
      [20, 0.1],
      [30, 0],
    ],
  },
  {
    name: 'test_route_error_ratio',
    labels: { route: '/contacts' },
    type: 'gauge',
    schedule: [
      [0, 0],
      [22, 0.1],
      [22.75, 0],
    ],
  },
];

let prom: PrometheusHandle;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'canary-backtest-it-'));
  prom = await startPrometheus({ backfill: openMetricsHistory(HISTORY, T0, T1, STEP_MS) });
}, 120_000);
afterAll(async () => {
  await prom?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Seen = { rule: string; key: string; from: string; to: string; at: number };
const line = (s: Seen) => `${new Date(s.at).toISOString()} ${s.rule} ${s.key} ${s.from}→${s.to}`;

/** The daemon stepped slot by slot through the history; every transition its evaluator made. */
async function liveDaemon(): Promise<{ seen: Seen[]; slots: number[] }> {
  const clock = new FakeClock(T0);
  const seen: Seen[] = [];
  const slots: number[] = [];
  let evaluations = 0;
  const daemon = await startDaemon({
    ruleFiles: [RULES],
    prometheusUrl: prom.url,
    dataDir: path.join(dir, 'daemon'),
    flagsFile: path.join(dir, 'daemon', 'flags.json'),
    port: 0,
    host: '127.0.0.1',
    dryRun: true,
    watchRuleFiles: false,
    clock,
    logger: createLogger({ name: 'backtest-it', level: 'silent' }),
    evaluate: (rule, result, now, prev) => {
      const out = evaluateRule(rule, result, now, prev);
      if (!result.ok) throw new Error(`query failed at ${now}: ${result.error}`);
      for (const t of out.transitions as Transition[])
        seen.push({ rule: t.rule, key: t.key, from: t.from, to: t.to, at: t.at });
      if (slots.at(-1) !== now) slots.push(now);
      evaluations++;
      return out;
    },
  });
  try {
    const perSlot = 4; // alerting rules in the group
    while (clock.now() < T1 - STEP_MS) {
      const before = evaluations;
      await clock.advance(STEP_MS);
      for (let i = 0; evaluations < before + perSlot; i++) {
        if (i > 2000) throw new Error(`no evaluation after ${new Date(clock.now()).toISOString()}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  } finally {
    await daemon.close();
  }
  return { seen, slots };
}

describe('canary backtest and the daemon on the same history', () => {
  it('list the same transitions at the same slots', async () => {
    const live = await liveDaemon();
    const run = await runBacktest(
      {
        rulesFile: RULES,
        againstFile: undefined,
        deployedPath: undefined,
        fromMs: live.slots[0]!,
        toMs: live.slots.at(-1)!,
        defaultIntervalMs: STEP_MS,
        inlineRecorded: false,
        alerts: [],
        outDir: undefined,
      },
      { client: createRangeClient({ url: prom.url, timeoutMs: 30_000 }), loadRules: loadRuleFiles },
    );
    if (!run.ok) throw new Error(run.error);
    const replayed: Seen[] = run.report.versions[0]!.rules.flatMap((r) =>
      r.transitions.map((t) => ({
        rule: t.rule,
        key: alertKey(t.labels),
        from: t.from,
        to: t.to,
        at: t.at,
      })),
    );
    const sort = (xs: Seen[]) => xs.map(line).sort();
    expect(sort(replayed)).toEqual(sort(live.seen));
    // The history exercises every kind of transition, so agreement is not agreement on nothing.
    const kinds = new Set(replayed.map((s) => `${s.rule} ${s.from}→${s.to}`));
    for (const k of [
      'ai_service_failure inactive→pending',
      'ai_service_failure pending→firing',
      'ai_service_failure firing→resolved',
      'ai_service_failure pending→inactive',
      'ai_call_failures pending→firing',
      'route_errors pending→inactive',
      'ai_error_ratio_recorded pending→firing',
    ])
      expect(kinds).toContain(k);
    expect(new Set(replayed.filter((s) => s.rule === 'route_errors').map((s) => s.key)).size).toBe(
      2,
    );
    const rollbacks = run.report.versions[0]!.rules.flatMap((r) =>
      r.actions.filter((a) => a.action === 'immediate_rollback'),
    );
    expect(rollbacks).toHaveLength(2); // the 0.3 spike at minute 5 and the 0.15 stretch at 25
  }, 300_000);
});

describe('canary backtest (the command)', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, ['bin/canary.js', 'backtest', ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, PROMETHEUS_URL: prom.url },
    });
  const window = ['--from', new Date(T0).toISOString(), '--to', new Date(T1).toISOString()];

  it('diffs an edited threshold: the edit would not have rolled back at minute 27', async () => {
    const edited = path.join(dir, 'edited.yml');
    await writeFile(edited, (await readFile(RULES, 'utf8')).replace('> 0.1\n', '> 0.2\n'));
    const out = path.join(dir, 'charts');
    const r = cli(['--rules', RULES, '--against', edited, ...window, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /== diff: - only with .*backtest-rules\.yml, \+ only with .*edited\.yml/,
    );
    expect(r.stdout).toMatch(
      /^-\s+\S+\s+immediate_rollback\s+firing\s+ai_service_failure\s+0\.15\s+> 0\.1\s+120s/m,
    );
    expect(r.stdout).toMatch(/rollbacks only with \S+: 1; only with \S+: 0/);
    const files = await readdir(out);
    expect(files).toContain('index.html');
    expect(files.filter((f) => f.endsWith('.svg'))).toHaveLength(8); // 4 alerts × 2 versions
    const svg = await readFile(
      path.join(
        out,
        files.find((f) => f.startsWith('A-') && f.includes('ai_service_failure'))!,
      ),
      'utf8',
    );
    expect(svg).toMatch(/<rect [^>]*fill="#d93a3a"/); // a firing band
    expect(svg).toContain('rollback');
  }, 180_000);

  it('prints JSON with every transition and action', () => {
    const r = cli(['--rules', RULES, ...window, '--json', '--no-charts']);
    expect(r.status).toBe(0);
    const body = JSON.parse(r.stdout) as {
      versions: {
        transitions: { rule: string; to: string; threshold: string }[];
        actions: { action: string }[];
      }[];
    };
    const v = body.versions[0]!;
    expect(v.transitions.some((t) => t.rule === 'ai_service_failure' && t.to === 'firing')).toBe(
      true,
    );
    expect(v.actions.filter((a) => a.action === 'immediate_rollback')).toHaveLength(2);
  }, 120_000);

  it.each([
    [['--from', 'yesterday'], /--from "yesterday": expected an RFC 3339 time/],
    [['--from', '-1h', '--to', '-2h'], /--from .* must be before --to/],
    [['--from', '2026-02-31T00:00:00Z'], /no such date/],
    [['--from', '-1h', '--to', '2999-01-01T00:00:00Z'], /is in the future/],
  ])('exits 2 on a bad window %j', (args, message) => {
    const r = cli(['--rules', RULES, ...args, '--no-charts']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('warns when a rule had no data in the whole window', () => {
    const before = [
      '--from',
      new Date(T0 - 3_600_000).toISOString(),
      '--to',
      new Date(T0 - 1_800_000).toISOString(),
    ];
    const r = cli(['--rules', RULES, ...before, '--no-charts', '--alert', 'ai_service_failure']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^warning: .*ai_service_failure had no data in the whole window/m);
  }, 120_000);

  it('exits 2 on an invalid rule file and 1 when Prometheus cannot be reached', async () => {
    const bad = path.join(dir, 'bad.yml');
    await writeFile(
      bad,
      'groups:\n  - name: g\n    rules:\n      - alert: x\n        expr: sum(\n',
    );
    const invalid = cli(['--rules', bad, ...window, '--no-charts']);
    expect(invalid.status).toBe(2);
    expect(invalid.stderr).toMatch(/bad\.yml:\d+:\d+: /);
    const down = spawnSync(
      process.execPath,
      [
        'bin/canary.js',
        'backtest',
        '--rules',
        RULES,
        ...window,
        '--no-charts',
        '--prometheus-url',
        'http://127.0.0.1:1',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/refused the connection/);
  }, 120_000);
});
