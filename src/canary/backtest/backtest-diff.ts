// `--against`: what one rule version did over the window that the other did not. Transitions and
// actions are matched on rule (group + name), labels, kind and slot; anything left over is the
// difference ("the edit would not have rolled back at 14:03:15").
import { alertKey } from '../engine/alert-key.js';
import type { PlannedAction, ReplayedTransition, RuleReplay } from './replay.js';

export interface VersionReplay {
  /** The rule file as the user named it. */
  readonly file: string;
  readonly rules: readonly RuleReplay[];
}

export interface BacktestDiff {
  readonly onlyA: readonly ReplayedTransition[];
  readonly onlyB: readonly ReplayedTransition[];
  readonly actionsOnlyA: readonly PlannedAction[];
  readonly actionsOnlyB: readonly PlannedAction[];
}

const transitionKey = (t: ReplayedTransition) =>
  `${t.group}|${t.rule}|${alertKey(t.labels)}|${t.from}|${t.to}|${t.at}`;
const actionKey = (a: PlannedAction) =>
  `${a.group}|${a.rule}|${alertKey(a.labels)}|${a.action}|${a.event}|${a.at}`;

export function diffReplays(a: VersionReplay, b: VersionReplay): BacktestDiff {
  const ta = a.rules.flatMap((r) => r.transitions);
  const tb = b.rules.flatMap((r) => r.transitions);
  const aa = a.rules.flatMap((r) => r.actions);
  const ab = b.rules.flatMap((r) => r.actions);
  return {
    onlyA: leftOnly(ta, tb, transitionKey),
    onlyB: leftOnly(tb, ta, transitionKey),
    actionsOnlyA: leftOnly(aa, ab, actionKey),
    actionsOnlyB: leftOnly(ab, aa, actionKey),
  };
}

function leftOnly<T extends { at: number }>(
  left: readonly T[],
  right: readonly T[],
  key: (x: T) => string,
): T[] {
  const there = new Set(right.map(key));
  return left.filter((x) => !there.has(key(x))).sort((x, y) => x.at - y.at);
}
