// PromQL rewriting for `canary simulate`, with Prometheus's own grammar: every selector is scoped
// to one simulated run, so many runs share one Prometheus. (Recorded series are inlined first, by
// the rules' own inliner, src/canary/rules/inline-recorded.ts.)
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';

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
