// `canary daemon --inline-recorded`: the loaded rules with what each alert *queries* rewritten so
// that no recorded series is read (inline-recorded.ts), for a metrics backend that runs no
// recording rules (VictoriaMetrics single node, Thanos Query without a ruler). The rule's own
// `expr` is kept as written: the status page, the audit log and the notifications show the rule a
// person wrote; only `query` (what rule-query.ts sends) changes. An alert that cannot be inlined
// faithfully keeps its query and is reported (with --inline-recorded the daemon warns, and its
// start-up series check then names the recorded series the backend lacks).
import type { LoadRulesFn } from '../engine/rule-source.js';
import type { AlertingRule, RuleGroup } from '../types.js';
import { inlineRecorded, recordingRules } from './inline-recorded.js';

type Recorded = ReturnType<typeof recordingRules>;

function inlineRule(
  rule: AlertingRule,
  recorded: Recorded,
): { ok: true; rule: AlertingRule } | { ok: false; error: string } {
  const errors: string[] = [];
  const inline = (e: string) => {
    const r = inlineRecorded(e, recorded);
    if (!r.ok) errors.push(r.error);
    return r.ok ? r.expr : e;
  };
  const expr = inline(rule.expr);
  const t = rule.threshold;
  const threshold = t && {
    ...t,
    lhs: inline(t.lhs),
    ...(t.guards ? { guards: t.guards.map((g) => ({ ...g, expr: inline(g.expr) })) } : {}),
  };
  if (errors.length > 0) return { ok: false, error: errors[0]! };
  return { ok: true, rule: { ...rule, query: { expr, threshold } } };
}

/** An alert left querying recorded series, and why it could not be inlined. */
export interface NotInlined {
  readonly rule: string;
  readonly where: string;
  readonly reason: string;
}

/**
 * The groups with every alert's query inlined where it can be faithfully; the others (a recorded
 * series read with label matchers, offset or @) keep reading the recorded series, and are listed so
 * the daemon can say that they need the backend to record it (vmalert) or will see no data.
 */
export function inlineLoadedGroups(groups: readonly RuleGroup[]): {
  groups: RuleGroup[];
  notInlined: NotInlined[];
} {
  const recorded = recordingRules(groups);
  const notInlined: NotInlined[] = [];
  const out = groups.map((g) => ({
    ...g,
    rules: g.rules.map((r) => {
      if (r.kind !== 'alert') return r;
      const x = inlineRule(r, recorded);
      if (x.ok) return x.rule;
      notInlined.push({ rule: r.name, where: `${r.pos.file}:${r.pos.line}`, reason: x.error });
      return r;
    }),
  }));
  return { groups: out, notInlined };
}

export function inliningRecorded(
  load: LoadRulesFn,
  onNotInlined: (alerts: readonly NotInlined[]) => void = () => undefined,
): LoadRulesFn {
  return async (paths, options) => {
    const loaded = await load(paths, options);
    if (!loaded.ok) return loaded;
    const inlined = inlineLoadedGroups(loaded.groups);
    if (inlined.notInlined.length > 0) onNotInlined(inlined.notInlined);
    return { ...loaded, groups: inlined.groups };
  };
}
