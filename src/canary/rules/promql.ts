// PromQL checks with Prometheus's own lezer grammar: syntax errors with their position, the
// top-level threshold of an alert expression, and the metric names an expression reads.
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import type { SetGuard, Threshold } from '../types.js';

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
  if (error !== undefined) {
    // Lezer gives up on very long left-associative chains (it forces the parse out of a
    // production after 300 reductions, to keep its tree shallow): `a or b or …` with some 200+
    // terms fails there although Prometheus's own parser accepts it. Such a chain is valid when
    // each of its terms is, so check those one by one; any other error stands.
    const terms = setOperands(expr);
    if (terms.length === 1) return syntaxError(expr, error);
    for (const t of terms) {
      const r = checkPromql(t.text);
      // A blank term (`a or or b`) is the operator's fault: lezer's own message says it better.
      if (!r.ok && t.text.trim() === '') return syntaxError(expr, error);
      if (!r.ok) return { ...r, offset: t.from + r.offset };
    }
    return { ok: true, threshold: undefined };
  }
  return { ok: true, threshold: thresholdOf(tree.topNode.firstChild, expr) };
}

const SET_OPERATORS = new Set(['or', 'and', 'unless']);

/**
 * The operands of `expr`'s top-level set operators (`or`, `and`, `unless`, with their `on(…)` /
 * `ignoring(…)`), outside brackets, strings and comments; `[expr]` when there is none.
 */
export function setOperands(expr: string): { text: string; from: number }[] {
  const terms: { text: string; from: number }[] = [];
  let depth = 0;
  let start = 0;
  let i = 0;
  const cut = (to: number) => terms.push({ text: expr.slice(start, to), from: start });
  const word = /[a-zA-Z_][\w:]*/y;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === '`') {
      i = stringEnd(expr, i);
      continue;
    }
    if (c === '#') {
      const eol = expr.indexOf('\n', i);
      i = eol === -1 ? expr.length : eol;
      continue;
    }
    if ('([{'.includes(c)) depth++;
    if (')]}'.includes(c)) depth--;
    word.lastIndex = i;
    const w = /[a-zA-Z_]/.test(c) ? word.exec(expr)?.[0] : undefined;
    if (w === undefined) {
      i++;
      continue;
    }
    const standalone = i === 0 || !/[\w:.]/.test(expr[i - 1]!);
    if (depth === 0 && standalone && SET_OPERATORS.has(w.toLowerCase())) {
      cut(i);
      i = start = afterModifier(expr, i + w.length);
    } else i += w.length;
  }
  cut(expr.length);
  return terms;
}

/** Index just after the string literal opening at `i` (escapes only in quoted strings). */
function stringEnd(expr: string, i: number): number {
  const quote = expr[i]!;
  let j = i + 1;
  while (j < expr.length && expr[j] !== quote) j += quote !== '`' && expr[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** Skips an `on(…)` / `ignoring(…)` clause after a set operator. */
function afterModifier(expr: string, i: number): number {
  const modifier = /\s*(on|ignoring)\s*\(/iy;
  modifier.lastIndex = i;
  const m = modifier.exec(expr);
  if (m === null) return i;
  const close = expr.indexOf(')', i + m[0].length);
  return close === -1 ? expr.length : close + 1;
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

/**
 * `<vector> <cmp> <number>` at the top, possibly inside parentheses, left of `and`/`unless` guards,
 * or on both sides of an `or`.
 */
function thresholdOf(top: SyntaxNode | null, expr: string): Threshold | undefined {
  // Walk down the left side through parentheses and guards, outermost guard first.
  const guards: SetGuard[] = [];
  let exact = true;
  let node = top;
  for (;;) {
    if (node === null) return undefined;
    if (node.name === 'ParenExpr') {
      node = node.firstChild;
      continue;
    }
    if (node.name !== 'BinaryExpr') return undefined;
    const setOp = node.firstChild?.nextSibling?.name;
    if (setOp !== 'And' && setOp !== 'Unless') break;
    const guard = guardOf(node, setOp === 'And' ? 'and' : 'unless', expr);
    if (guard === undefined) exact = false;
    else guards.unshift(guard);
    node = node.firstChild;
  }
  const lhs = node.firstChild;
  const opNode = lhs?.nextSibling;
  const rhs = node.lastChild;
  if (!lhs || !opNode || !rhs) return undefined;
  // `a > 0.1 and … or b > 0.1 and …`: alternatives with one threshold still have it (the left
  // one's value is shown). Such a rule is queried whole (no guards: not derivable in parts);
  // different thresholds on the two sides have none.
  if (opNode.name === 'Or') {
    const l = thresholdOf(lhs, expr);
    const r = thresholdOf(rhs, expr);
    return l !== undefined && r !== undefined && l.op === r.op && l.value === r.value
      ? { lhs: l.lhs, op: l.op, value: l.value }
      : undefined;
  }
  const op = COMPARISONS[opNode.name];
  if (op === undefined || node.getChild('BoolModifier') !== null) return undefined;
  if (node.getChild('MatchingModifierClause') !== null) exact = false;
  const parts = exact ? { guards } : {};
  const right = numberOf(rhs, expr);
  if (right !== undefined) return { lhs: text(lhs, expr), op, value: right, ...parts };
  const left = numberOf(lhs, expr);
  if (left !== undefined) return { lhs: text(rhs, expr), op: FLIPPED[op], value: left, ...parts };
  return undefined;
}

/** The right side of `and`/`unless` with its matching, when it has only plain label names. */
function guardOf(node: SyntaxNode, op: SetGuard['op'], expr: string): SetGuard | undefined {
  const rhs = node.lastChild;
  if (rhs === null) return undefined;
  const clause = node.getChild('MatchingModifierClause');
  if (clause === null) return { op, matching: undefined, expr: text(rhs, expr) };
  if (clause.getChild('GroupLeft') !== null || clause.getChild('GroupRight') !== null)
    return undefined;
  const grouping = clause.getChild('GroupingLabels');
  const labels: string[] = [];
  for (let c = grouping?.firstChild ?? null; c !== null; c = c.nextSibling) {
    if (c.name !== 'LabelName') return undefined;
    labels.push(expr.slice(c.from, c.to));
  }
  return { op, matching: { on: clause.getChild('On') !== null, labels }, expr: text(rhs, expr) };
}

function numberOf(node: SyntaxNode, expr: string): number | undefined {
  const t = text(node, expr).replace(/\s+/g, '');
  if (/^[-+]?inf$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (!/^[-+]?(\d|\.\d|0x)/i.test(t)) return undefined;
  const v = Number(t);
  return Number.isNaN(v) ? undefined : v;
}

/** A node's source, as queried: newlines kept (one may sit inside a raw string). */
function text(node: SyntaxNode, expr: string): string {
  return expr.slice(node.from, node.to).trim();
}
