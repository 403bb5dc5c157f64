// Starts the daemon in-process with a FakeClock, a scripted Prometheus and a fake flag store, and
// steps it one evaluation at a time (waiting for each evaluation to finish, never sleeping blindly).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startDaemon, type DaemonOptions, type RunningDaemon } from '../../src/canary/main.js';
import { FakeClock } from '../../src/shared/clock.js';
import { collectingLogger, type LogLine } from './collecting-logger.js';
import { FakeFlagStore } from './fake-flag-store.js';
import { ScriptedPrometheus } from './scripted-prometheus.js';

export interface RuleApi {
  name: string;
  state: string;
  health: string;
  lastError: string | null;
  lastEvaluation: string | null;
  value: number | null;
  instances: {
    labels: Record<string, string>;
    state: string;
    activeAt: string;
    value: number | null;
  }[];
}

export interface TestDaemon {
  readonly daemon: RunningDaemon;
  readonly clock: FakeClock;
  readonly prom: ScriptedPrometheus;
  readonly flags: FakeFlagStore;
  readonly lines: LogLine[];
  /** Advances the clock by one interval and waits until the group has been evaluated. */
  step(n?: number): Promise<void>;
  rules(): Promise<{ rules: RuleApi[]; reload: { ok: boolean; errors: string[] } | null }>;
  rule(name: string): Promise<RuleApi>;
  get(pathname: string): Promise<Response>;
}

export async function startTestDaemon(o: {
  dir: string;
  ruleFiles: string[];
  clock?: FakeClock;
  prom?: ScriptedPrometheus;
  flags?: FakeFlagStore;
  options?: Partial<DaemonOptions>;
}): Promise<TestDaemon> {
  const clock = o.clock ?? new FakeClock(1_700_000_000_000);
  const prom = o.prom ?? new ScriptedPrometheus();
  const flags = o.flags ?? new FakeFlagStore();
  const { logger, lines } = collectingLogger();
  const daemon = await startDaemon({
    ruleFiles: o.ruleFiles,
    prometheusUrl: prom.url,
    dataDir: path.join(o.dir, 'data'),
    flagsFile: flags.path,
    port: 0,
    host: '127.0.0.1',
    intervalMs: 1000,
    watchRuleFiles: false,
    clock,
    logger,
    prometheus: prom,
    flagStore: flags,
    rollbackBackoffMs: { initial: 1000, max: 1000 },
    ...o.options,
  });
  const get = (p: string) => fetch(`${daemon.url}${p}`);
  const rules = async () =>
    (await (await get('/api/rules')).json()) as Awaited<ReturnType<TestDaemon['rules']>>;
  return {
    daemon,
    clock,
    prom,
    flags,
    lines,
    get,
    rules,
    rule: async (name) => {
      const r = (await rules()).rules.find((x) => x.name === name);
      if (!r) throw new Error(`no rule ${name}`);
      return r;
    },
    async step(n = 1) {
      for (let i = 0; i < n; i++) {
        const before = prom.queries.length;
        await clock.advance(1000);
        for (let k = 0; k < 500 && prom.queries.length === before; k++)
          await new Promise((r) => setTimeout(r, 2));
        // The evaluation has queried; let it finish (state update, actions, state file).
        await new Promise((r) => setTimeout(r, 15));
      }
    },
  };
}

export async function writeRules(file: string, rules: string): Promise<void> {
  await writeFile(file, `groups:\n  - name: canary\n    rules:\n${rules}`, 'utf8');
}

export const ROLLBACK_RULE = `
      - alert: ai_service_failure
        expr: ai_error_ratio > 0.1
        for: 5s
        labels:
          severity: critical
          team: dev
          action: immediate_rollback
          flag: ai-search-enabled
        annotations:
          summary: AI service failures above 10%
`;

export const NOTIFY_RULE = `
      - alert: high_error_rate
        expr: api_error_ratio > 0.05
        for: 2s
        labels:
          severity: critical
          team: dev
          action: notify_dev_team
        annotations:
          summary: API error rate above 5%
`;
