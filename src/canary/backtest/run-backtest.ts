// The shell of `canary backtest`: loads the rule file(s), reads Prometheus history at each group's
// slots, replays every alerting rule through the daemon's evaluator (replay.ts), diffs two
// versions, and writes one chart per alert. It only reads from Prometheus (query_range).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { groupSlotOffset, slotsBetween } from '../engine/aligned-timer.js';
import { Limiter } from '../prometheus/limiter.js';
import { identifyRules } from '../engine/rule-identity.js';
import { formatLoadError, type LoadRulesFn } from '../engine/rule-source.js';
import type { RuleGroup } from '../types.js';
import { diffReplays, type VersionReplay } from './backtest-diff.js';
import { inlineRecorded, recordingRules } from '../rules/inline-recorded.js';
import type { RangeClient, SlotVectors } from './range-query.js';
import { replayRule, type RuleReplay } from './replay.js';
import { chartsIndexHtml, ruleChartSvg, type ChartEntry } from './report-chart.js';
import type { BacktestReport } from './report.js';

/** About 86 days at 15 s: enough for any window worth replaying, and bounded memory. */
export const MAX_SLOTS_PER_GROUP = 500_000;

export interface BacktestOptions {
  readonly rulesFile: string;
  /**
   * The path the daemon loads the rules from, when not `rulesFile`: a group's slot phase (and its
   * rules' identity) comes from its file path and name, so this places the slots where the
   * deployed daemon had them.
   */
  readonly deployedPath: string | undefined;
  /** A second version of the rules, replayed as if it had been deployed at the same path. */
  readonly againstFile: string | undefined;
  readonly fromMs: number;
  readonly toMs: number;
  /** The daemon's `--interval`: the interval of groups that set none. */
  readonly defaultIntervalMs: number;
  readonly inlineRecorded: boolean;
  /** Replay only the alerts with these names; empty replays every alert. */
  readonly alerts: readonly string[];
  /** Where charts and index.html go; undefined writes none. */
  readonly outDir: string | undefined;
}

export interface BacktestDeps {
  readonly client: RangeClient;
  readonly loadRules: LoadRulesFn;
  /** Range queries in flight at once. */
  readonly concurrency?: number;
}

/** Why a backtest could not run: bad input (window, rule files) or Prometheus trouble. */
export type BacktestFailure = 'usage' | 'rules' | 'prometheus';

export type BacktestRun =
  | { readonly ok: true; readonly report: BacktestReport }
  | { readonly ok: false; readonly kind: BacktestFailure; readonly error: string };

class BacktestError extends Error {
  constructor(
    readonly kind: BacktestFailure,
    message: string,
  ) {
    super(message);
  }
}

export async function runBacktest(o: BacktestOptions, deps: BacktestDeps): Promise<BacktestRun> {
  if (!(o.fromMs < o.toMs))
    return {
      ok: false,
      kind: 'usage',
      error: `--from (${iso(o.fromMs)}) must be before --to (${iso(o.toMs)})`,
    };
  try {
    const home = path.resolve(o.deployedPath ?? o.rulesFile);
    const files = o.againstFile === undefined ? [o.rulesFile] : [o.rulesFile, o.againstFile];
    const loaded = await Promise.all(files.map((f) => load(f, home, o, deps)));
    const names = new Set(loaded.flat().flatMap((g) => g.rules.map((r) => r.name)));
    const unknown = o.alerts.filter((a) => !names.has(a));
    if (unknown.length > 0)
      throw new BacktestError('usage', `--alert ${unknown.join(', ')}: no such alert in the rules`);
    const fetcher = new HistoryFetcher(deps.client, new Limiter(deps.concurrency ?? 2));
    const versions: VersionReplay[] = await Promise.all(
      loaded.map(async (groups, i) => ({
        file: files[i]!,
        rules: await replayVersion(groups, o, fetcher),
      })),
    );
    const diff = versions.length === 2 ? diffReplays(versions[0]!, versions[1]!) : undefined;
    const report: BacktestReport = {
      fromMs: o.fromMs,
      toMs: o.toMs,
      prometheus: deps.client.url,
      recorded: o.inlineRecorded ? 'inlined' : 'as-recorded',
      evaluations: versions.reduce(
        (n, v) => n + v.rules.reduce((m, r) => m + r.points.length, 0),
        0,
      ),
      requests: fetcher.requests,
      versions,
      diff,
      warnings: versions.flatMap(noDataWarnings),
      chartsIndex: o.outDir === undefined ? undefined : await writeCharts(o, versions),
    };
    return { ok: true, report };
  } catch (err) {
    if (err instanceof BacktestError) return { ok: false, kind: err.kind, error: err.message };
    throw err;
  }
}

/** The groups of one file, placed at `home` so slots and identities are the deployed file's. */
async function load(file: string, home: string, o: BacktestOptions, deps: BacktestDeps) {
  const r = await deps.loadRules([path.resolve(file)], { defaultIntervalMs: o.defaultIntervalMs });
  if (!r.ok) throw new BacktestError('rules', r.errors.map(formatLoadError).join('\n'));
  return r.groups.map((g): RuleGroup => ({ ...g, file: home }));
}

async function replayVersion(
  groups: readonly RuleGroup[],
  o: BacktestOptions,
  fetcher: HistoryFetcher,
): Promise<RuleReplay[]> {
  const recorded = recordingRules(groups);
  const expr = (e: string) => {
    if (!o.inlineRecorded) return e;
    const r = inlineRecorded(e, recorded);
    if (!r.ok)
      throw new BacktestError(
        'rules',
        `${r.error}; leave out --inline-recorded, or pick the alerts to replay with --alert`,
      );
    return r.expr;
  };
  const chosen = identifyRules(groups).filter(
    (k) => o.alerts.length === 0 || o.alerts.includes(k.rule.name),
  );
  return Promise.all(
    chosen.map(async ({ group, rule }) => {
      const slots = slotsBetween(o.fromMs, o.toMs, group.intervalMs, groupSlotOffset(group));
      if (slots.length > MAX_SLOTS_PER_GROUP)
        throw new BacktestError(
          'usage',
          `group ${group.name}: ${slots.length} evaluations from --from to --to at its ${group.intervalMs / 1000}s interval; at most ${MAX_SLOTS_PER_GROUP} — shorten the window`,
        );
      const [alert, shown] = await Promise.all([
        fetcher.get(expr(rule.expr), slots, group.intervalMs),
        rule.threshold ? fetcher.get(expr(rule.threshold.lhs), slots, group.intervalMs) : undefined,
      ]);
      return replayRule(group.name, rule, slots, alert, shown);
    }),
  );
}

/** Rules whose value (the threshold's left side) had no sample in the whole window. */
function noDataWarnings(v: VersionReplay): string[] {
  return v.rules
    .filter(
      (r) => r.rule.threshold && r.points.length > 0 && r.points.every((p) => p.value === null),
    )
    .map(
      (r) =>
        `${v.file}: ${r.rule.name} had no data in the whole window (${r.rule.threshold!.lhs}): is this the Prometheus the daemon reads, does it keep data that old, and does it record the series (else --inline-recorded)?`,
    );
}

/** Range queries, each asked once even when two versions or rules share an expression. */
class HistoryFetcher {
  requests = 0;
  private readonly cache = new Map<string, Promise<SlotVectors>>();
  constructor(
    private readonly client: RangeClient,
    private readonly limiter: Limiter,
  ) {}

  get(expr: string, slots: readonly number[], stepMs: number): Promise<SlotVectors> {
    if (slots.length === 0) return Promise.resolve(new Map());
    const range = { startMs: slots[0]!, endMs: slots.at(-1)!, stepMs };
    const key = `${range.startMs}|${range.endMs}|${stepMs}|${expr}`;
    let hit = this.cache.get(key);
    if (!hit) {
      hit = this.limiter.run(async () => {
        const r = await this.client.queryRange(expr, range);
        if (!r.ok) throw new BacktestError('prometheus', r.error);
        this.requests += r.requests;
        return r.slots;
      });
      this.cache.set(key, hit);
    }
    return hit;
  }
}

async function writeCharts(
  o: BacktestOptions,
  versions: readonly VersionReplay[],
): Promise<string> {
  const dir = path.resolve(o.outDir!);
  await mkdir(dir, { recursive: true });
  const entries: ChartEntry[] = [];
  for (const [i, v] of versions.entries()) {
    const tag = versions.length === 1 ? '' : `${'AB'[i]}-`;
    for (const [k, r] of v.rules.entries()) {
      const svg = `${tag}${safeName(`${r.group}-${r.rule.name}`)}-${k + 1}.svg`;
      const title = `${versions.length === 1 ? '' : `${'AB'[i]}: `}${v.file}`;
      await writeFile(path.join(dir, svg), ruleChartSvg(r, title, o.fromMs, o.toMs), 'utf8');
      entries.push({ svg, version: title, replay: r });
    }
  }
  const index = path.join(dir, 'index.html');
  const title = `canary backtest ${iso(o.fromMs)} → ${iso(o.toMs)}`;
  await writeFile(index, chartsIndexHtml(title, entries), 'utf8');
  return index;
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');
const iso = (t: number) => new Date(t).toISOString();
