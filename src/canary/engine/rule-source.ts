// Where the rules come from: the loader (strict, shared with `canary rules check`) and a watcher
// that notices edits of the rule files. Editors often replace a file (write temp + rename), so the
// directory is watched and events are filtered by name and debounced.
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { selectedMetricNames } from '../rules/promql.js';
import type { RuleGroup } from '../types.js';

export interface RuleLoadError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export type LoadRulesResult =
  | { readonly ok: true; readonly groups: RuleGroup[]; readonly files: string[] }
  | { readonly ok: false; readonly errors: RuleLoadError[] };

export type LoadRulesFn = (
  paths: string[],
  options: { defaultIntervalMs: number },
) => Promise<LoadRulesResult>;

export function formatLoadError(e: RuleLoadError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.message}`;
}

/** Calls `onChange` (debounced) when any of `files` is written, replaced or removed. */
export function watchRuleFiles(
  files: readonly string[],
  debounceMs: number,
  onChange: () => void,
): () => void {
  const byDir = new Map<string, Set<string>>();
  for (const f of files) {
    const abs = path.resolve(f);
    const dir = path.dirname(abs);
    if (!byDir.has(dir)) byDir.set(dir, new Set());
    byDir.get(dir)!.add(path.basename(abs));
  }
  let timer: NodeJS.Timeout | undefined;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
    timer.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of byDir) {
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || names.has(name.toString())) fire();
      });
      w.on('error', () => undefined);
      watchers.push(w);
    } catch {
      // A directory that cannot be watched still reloads on SIGHUP and POST /-/reload.
    }
  }
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}

/**
 * Names of recorded series (level:metric:operation, the Prometheus convention) that alert
 * expressions select, read by the PromQL parser, so the daemon can check at start-up that
 * Prometheus has them.
 */
export function recordedSeriesUsed(groups: readonly RuleGroup[]): string[] {
  const names = new Set<string>();
  for (const g of groups) {
    for (const r of g.rules) {
      if (r.kind !== 'alert') continue;
      // What is queried: with --inline-recorded, no recorded series is read at all.
      for (const name of selectedMetricNames(r.query?.expr ?? r.expr))
        if (name.includes(':')) names.add(name);
    }
  }
  return [...names].sort();
}
