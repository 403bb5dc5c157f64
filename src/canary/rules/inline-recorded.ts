// Replaces each recorded series an alert reads (`job:ai_error_ratio:rate5m`) by the recording
// rule's own expression, so an alert can be evaluated over a Prometheus that never ran those
// recording rules: `canary backtest --inline-recorded` (or to see the ratio between recording
// slots) and `canary simulate` (its backfilled TSDB holds raw counters only). A
// recorded series read over a range (`x[5m]`) becomes a subquery at the recording group's interval;
// the recording rule's labels are set with label_replace. Selectors with label matchers, offset or
// @ on a recorded series cannot be rewritten faithfully and are refused with the reason.
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { formatDuration } from './duration.js';
import type { RecordingRule, RuleGroup } from '../types.js';

export type Inlined = { ok: true; expr: string } | { ok: false; error: string };

interface Recording {
  readonly rule: RecordingRule;
  readonly intervalMs: number;
}

const MAX_DEPTH = 10;

/** Every recording rule of `groups`, by the series name it records (the first one wins). */
export function recordingRules(groups: readonly RuleGroup[]): Map<string, Recording> {
  const out = new Map<string, Recording>();
  for (const g of groups)
    for (const r of g.rules)
      if (r.kind === 'record' && !out.has(r.name))
        out.set(r.name, { rule: r, intervalMs: g.intervalMs });
  return out;
}

export function inlineRecorded(
  expr: string,
  recorded: ReadonlyMap<string, Recording>,
  depth = 0,
): Inlined {
  if (depth > MAX_DEPTH)
    return { ok: false, error: `recording rules nest more than ${MAX_DEPTH} deep (a cycle?)` };
  const edits: { from: number; to: number; text: string }[] = [];
  let error: string | undefined;
  parser.parse(expr).iterate({
    enter(n) {
      if (error !== undefined || n.name !== 'VectorSelector') return error === undefined;
      const id = n.node.getChild('Identifier');
      const name = id ? expr.slice(id.from, id.to) : '';
      const rec = recorded.get(name);
      if (!rec) return false;
      const why = refusal(n.node, expr);
      if (why) {
        error = `cannot inline ${name} in ${JSON.stringify(expr)}: ${why}`;
        return false;
      }
      const inner = inlineRecorded(rec.rule.expr, recorded, depth + 1);
      if (!inner.ok) {
        error = inner.error;
        return false;
      }
      const body = withLabels(`(${inner.expr})`, rec.rule.labels);
      const matrix = n.node.parent?.name === 'MatrixSelector' ? n.node.parent : undefined;
      if (matrix) {
        const range = expr.slice(n.to, matrix.to); // `[5m]`
        const sub = `${range.slice(0, -1)}:${formatDuration(rec.intervalMs)}]`;
        edits.push({ from: matrix.from, to: matrix.to, text: `${body}${sub}` });
      } else {
        edits.push({ from: n.from, to: n.to, text: body });
      }
      return false;
    },
  });
  if (error !== undefined) return { ok: false, error };
  let out = expr;
  for (const e of edits.sort((a, b) => b.from - a.from))
    out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return { ok: true, expr: out };
}

function refusal(selector: SyntaxNode, expr: string): string | undefined {
  if (selector.getChild('LabelMatchers'))
    return 'it has label matchers (narrow the recording rule or the alert instead)';
  const end = selector.parent?.name === 'MatrixSelector' ? selector.parent.to : selector.to;
  // The lezer grammar may hang `offset` on a larger expression; the text says what PromQL binds.
  if (/^\s*(offset\b|@)/.test(expr.slice(end))) return 'it is read with offset or @';
  return undefined;
}

function withLabels(body: string, labels: Readonly<Record<string, string>>): string {
  let out = body;
  for (const [k, v] of Object.entries(labels))
    out = `label_replace(${out}, ${JSON.stringify(k)}, ${JSON.stringify(v)}, "", "")`;
  return out;
}
