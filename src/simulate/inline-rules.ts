// PromQL rewriting for `canary simulate`, with Prometheus's own grammar: recorded series are
// inlined (the simulated TSDB holds raw counters only, no recording rule ever ran over it), and
// every selector is scoped to one simulated run, so many runs share one Prometheus.
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import type { RuleGroup } from '../canary/types.js';

interface Edit {
  readonly from: number;
  readonly to: number;
  readonly text: string;
}

function applyEdits(expr: string, edits: readonly Edit[]): string {
  let out = expr;
  for (const e of [...edits].sort((a, b) => b.from - a.from)) {
    out = out.slice(0, e.from) + e.text + out.slice(e.to);
  }
  return out;
}

function selectors(expr: string): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  const tree = parser.parse(expr);
  let broken: number | undefined;
  tree.iterate({
    enter(n) {
      if (n.type.isError && broken === undefined) broken = n.from;
      if (n.name === 'VectorSelector') found.push(n.node);
    },
  });
  if (broken !== undefined) {
    throw new Error(`cannot parse PromQL near offset ${broken}: ${JSON.stringify(expr)}`);
  }
  return found;
}

/** Recording rules by name (the expression Prometheus would have recorded). */
export function recordedExprs(groups: readonly RuleGroup[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const g of groups) {
    for (const r of g.rules) {
      if (r.kind !== 'record') continue;
      if (Object.keys(r.labels).length > 0) {
        throw new Error(`recording rule ${r.name} sets labels: simulate cannot inline it`);
      }
      out.set(r.name, r.expr.trim());
    }
  }
  return out;
}

/**
 * `expr` with every bare reference to a recorded series replaced by its expression in
 * parentheses, recursively. A recorded series read with matchers, a range or an offset is
 * refused: inlining would change its meaning.
 */
export function inlineRecorded(
  expr: string,
  records: ReadonlyMap<string, string>,
  depth = 0,
): string {
  if (depth > 10) throw new Error('recording rules refer to each other more than 10 deep');
  const edits: Edit[] = [];
  for (const sel of selectors(expr)) {
    const ident = sel.getChild('Identifier');
    if (ident === null) continue;
    const name = expr.slice(ident.from, ident.to);
    const inner = records.get(name);
    if (inner === undefined) continue;
    const parent = sel.parent?.name;
    if (
      sel.getChild('LabelMatchers') !== null ||
      parent === 'MatrixSelector' ||
      parent === 'OffsetExpr'
    ) {
      throw new Error(
        `${name} is read with matchers, a range or an offset: simulate can only inline a bare recorded series`,
      );
    }
    edits.push({
      from: sel.from,
      to: sel.to,
      text: `(${inlineRecorded(inner, records, depth + 1)})`,
    });
  }
  return applyEdits(expr, edits);
}

/** `expr` with the matcher `label="value"` added to every selector. */
export function scopeSelectors(expr: string, label: string, value: string): string {
  const matcher = `${label}=${JSON.stringify(value)}`;
  const edits: Edit[] = [];
  for (const sel of selectors(expr)) {
    const matchers = sel.getChild('LabelMatchers');
    if (matchers === null) {
      edits.push({ from: sel.to, to: sel.to, text: `{${matcher}}` });
    } else {
      const empty = expr.slice(matchers.from + 1, matchers.to - 1).trim() === '';
      edits.push({
        from: matchers.from + 1,
        to: matchers.from + 1,
        text: empty ? matcher : `${matcher},`,
      });
    }
  }
  return applyEdits(expr, edits);
}
