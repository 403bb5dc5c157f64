// Fast mode for the local stack: every duration in a Prometheus rule file divided by one factor
// (60: minutes become seconds), so a `for: 5m` incident plays out in five seconds. Expressions
// keep their shape: only duration literals change, found with Prometheus's own PromQL grammar so
// that a string such as `{le="5m"}` is never touched.
import { parser } from '@prometheus-io/lezer-promql';
import { isMap, isScalar, isSeq, parseDocument, type Scalar } from 'yaml';
import { formatDuration, parseDuration } from './durations.js';

export interface ScaleOptions {
  /** Divide every duration by this (60 turns minutes into seconds). */
  readonly factor: number;
  /**
   * Shortest range a selector may have after scaling (`rate(x[1m])` → `[1s]` holds a single
   * sample at a 1 s scrape interval and would always be empty). Offsets and `for` have no floor.
   */
  readonly minRangeMs?: number;
}

type Kind = 'range' | 'offset' | 'step';

/** The duration rewritten, or undefined if the text is not a duration. */
function scaleLiteral(text: string, kind: Kind | 'plain', opts: ScaleOptions): string | undefined {
  const ms = parseDuration(text);
  if (ms === undefined) return undefined;
  if (ms === 0) return text;
  let scaled = Math.max(1, Math.round(ms / opts.factor));
  if (kind === 'range') scaled = Math.max(scaled, opts.minRangeMs ?? 0);
  return formatDuration(scaled);
}

function kindOf(parentNames: readonly string[], before: string): Kind {
  if (parentNames.includes('OffsetDurationExpr')) return 'offset';
  // The step of a subquery `[1h:5m]` follows the colon; it is a resolution, not a window.
  if (before.trimEnd().endsWith(':')) return 'step';
  return 'range';
}

/** Divides every duration literal of a PromQL expression; throws when the expression does not parse. */
export function scaleExpr(expr: string, opts: ScaleOptions): string {
  const tree = parser.parse(expr);
  const edits: { from: number; to: number; text: string }[] = [];
  let broken: string | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && broken === undefined) {
        broken = `cannot parse PromQL near offset ${node.from}: ${JSON.stringify(expr)}`;
      }
      if (node.name !== 'NumberDurationLiteralInDurationContext') return;
      const parents: string[] = [];
      for (let p = node.node.parent; p && parents.length < 3; p = p.parent) parents.push(p.name);
      const text = expr.slice(node.from, node.to);
      const out = scaleLiteral(text, kindOf(parents, expr.slice(0, node.from)), opts);
      if (out !== undefined && out !== text)
        edits.push({ from: node.from, to: node.to, text: out });
    },
  });
  if (broken !== undefined) throw new Error(broken);
  let out = expr;
  for (const e of edits.sort((a, b) => b.from - a.from)) {
    out = out.slice(0, e.from) + e.text + out.slice(e.to);
  }
  return out;
}

function scaleScalar(node: unknown, where: string, rewrite: (text: string) => string): void {
  if (!isScalar(node)) return;
  const s = node as Scalar;
  if (s.value === null || s.value === undefined) return;
  const text = String(s.value);
  try {
    s.value = rewrite(text);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`, { cause: e });
  }
}

function durationRewriter(opts: ScaleOptions): (text: string) => string {
  return (text) => {
    const out = scaleLiteral(text, 'plain', opts);
    if (out === undefined) throw new Error(`${JSON.stringify(text)} is not a duration`);
    return out;
  };
}

/**
 * A rule file's text with every duration divided by `opts.factor`: group `interval`, each rule's
 * `for` and `keep_firing_for`, and every duration inside `expr`. Comments and layout are kept.
 * `file` only names the source in error messages.
 */
export function scaleRuleFile(text: string, file: string, opts: ScaleOptions): string {
  if (!(opts.factor > 0) || !Number.isFinite(opts.factor)) {
    throw new RangeError(`scale factor must be a positive number, got ${opts.factor}`);
  }
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message ?? 'bad YAML'}`);
  const groups = doc.get('groups', true);
  if (!isSeq(groups)) throw new Error(`${file}: expected a top-level "groups:" list`);
  const duration = durationRewriter(opts);
  groups.items.forEach((group, gi) => {
    if (!isMap(group)) return;
    scaleScalar(group.get('interval', true), `${file}: groups[${gi}].interval`, duration);
    const rules = group.get('rules', true);
    if (!isSeq(rules)) return;
    rules.items.forEach((rule, ri) => {
      if (!isMap(rule)) return;
      const where = `${file}: groups[${gi}].rules[${ri}]`;
      scaleScalar(rule.get('for', true), `${where}.for`, duration);
      scaleScalar(rule.get('keep_firing_for', true), `${where}.keep_firing_for`, duration);
      scaleScalar(rule.get('expr', true), `${where}.expr`, (e) => scaleExpr(e, opts));
    });
  });
  return doc.toString({ lineWidth: 0 });
}
