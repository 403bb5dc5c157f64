// PromQL checks with Prometheus's own lezer grammar: syntax errors with their position, the
// top-level threshold of an alert expression, and the metric names an expression reads.
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import type { Threshold } from '../types.js';

export type PromqlCheck =
  | { readonly ok: true; readonly threshold: Threshold | undefined }
  | { readonly ok: false; readonly offset: number; readonly message: string };

const COMPARISONS: Readonly<Record<string, Threshold['op']>> = {
  Gtr: '>',
  Gte: '>=',
  Lss: '<',
  Lte: '<=',
  Eql: '==',
  Neq: '!=',
};
const FLIPPED: Readonly<Record<Threshold['op'], Threshold['op']>> = {
  '>': '<',
  '>=': '<=',
  '<': '>',
  '<=': '>=',
  '==': '==',
  '!=': '!=',
};

export function checkPromql(expr: string): PromqlCheck {
  if (expr.trim() === '')
    return { ok: false, offset: 0, message: "field 'expr' must be set in rule" };
  const tree = parser.parse(expr);
  let error: number | undefined;
  tree.iterate({
    enter(n) {
      if (error !== undefined) return false;
      if (n.type.isError) error = n.from;
      return undefined;
    },
  });
  if (error !== undefined) return syntaxError(expr, error);
  return { ok: true, threshold: thresholdOf(tree.topNode.firstChild, expr) };
}

/** Names of the series an expression selects (`foo` in `rate(foo[5m])`), for start-up checks. */
export function selectedMetricNames(expr: string): string[] {
  const names = new Set<string>();
  parser.parse(expr).iterate({
    enter(n) {
      if (n.name === 'Identifier' && n.node.parent?.name === 'VectorSelector') {
        names.add(expr.slice(n.from, n.to));
      }
    },
  });
  return [...names];
}

function syntaxError(expr: string, at: number): PromqlCheck {
  const rest = expr.slice(at).trimStart();
  const fail = (offset: number, what: string) =>
    ({ ok: false, offset, message: `could not parse expression: ${what}` }) as const;
  if (rest === '') return fail(at, 'unexpected end of input');
  // `histogram_quantil(` fails at the "(": name the unknown function instead.
  const call = /([a-zA-Z_]\w*)\s*$/.exec(expr.slice(0, at));
  if (rest.startsWith('(') && call) return fail(call.index, `unknown function "${call[1]}"`);
  const token = /^(\w+|\S)/.exec(rest)?.[0] ?? rest[0];
  return fail(at + (expr.length - at - rest.length), `unexpected ${JSON.stringify(token)}`);
}

/** `<vector> <cmp> <number>` at the top, possibly inside parentheses, left of `and`/`unless` guards, or on both sides of an `or`. */
function thresholdOf(node: SyntaxNode | null, expr: string): Threshold | undefined {
  if (node === null) return undefined;
  if (node.name === 'ParenExpr') return thresholdOf(node.firstChild, expr);
  if (node.name !== 'BinaryExpr') return undefined;
  const lhs = node.firstChild;
  const opNode = lhs?.nextSibling;
  const rhs = node.lastChild;
  if (!lhs || !opNode || !rhs) return undefined;
  if (opNode.name === 'And' || opNode.name === 'Unless') return thresholdOf(lhs, expr);
  // `a > 0.1 and … or b > 0.1 and …`: alternatives with one threshold still have it (the
  // left one's value is shown); different thresholds on the two sides have none.
  if (opNode.name === 'Or') {
    const l = thresholdOf(lhs, expr);
    const r = thresholdOf(rhs, expr);
    return l !== undefined && r !== undefined && l.op === r.op && l.value === r.value
      ? l
      : undefined;
  }
  const op = COMPARISONS[opNode.name];
  if (op === undefined || node.getChild('BoolModifier') !== null) return undefined;
  const right = numberOf(rhs, expr);
  if (right !== undefined) return { lhs: text(lhs, expr), op, value: right };
  const left = numberOf(lhs, expr);
  if (left !== undefined) return { lhs: text(rhs, expr), op: FLIPPED[op], value: left };
  return undefined;
}

function numberOf(node: SyntaxNode, expr: string): number | undefined {
  const t = text(node, expr).replace(/\s+/g, '');
  if (/^[-+]?inf$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (!/^[-+]?(\d|\.\d|0x)/i.test(t)) return undefined;
  const v = Number(t);
  return Number.isNaN(v) ? undefined : v;
}

function text(node: SyntaxNode, expr: string): string {
  return expr
    .slice(node.from, node.to)
    .trim()
    .replace(/\s*\n\s*/g, ' ');
}
