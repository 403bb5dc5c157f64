// Many alert expressions in one Prometheus query, so 1,000 rules cost a few dozen HTTP round trips
// instead of a thousand. Each expression is tagged with its own label and the tagged vectors are
// joined with `or`: `or` keeps every element of its left side and every right-side element whose
// label set is not on the left, and the tag makes every expression's label sets distinct, so the
// union holds exactly each expression's own result. The tag is removed again when splitting.
// A batch Prometheus refuses (one bad expression, a scalar result) or that times out (one heavy
// expression) is re-run one query per expression within the caller's time budget, so errors land
// on the rule they belong to (prometheus-client.ts).
import type { QueryOutcome } from './prometheus-client.js';
import type { Sample } from '../types.js';

export const BATCH_LABEL = '__canary_q';

export function batchExpr(exprs: readonly string[]): string {
  return exprs
    .map((e, i) => `label_replace((${e}), "${BATCH_LABEL}", "${i}", "", "")`)
    .join(' or ');
}

/** Splits a batch's samples back into one outcome per expression (absent = no data). */
export function splitBatch(samples: readonly Sample[], count: number): QueryOutcome[] {
  const parts: Sample[][] = Array.from({ length: count }, () => []);
  for (const s of samples) {
    const { [BATCH_LABEL]: tag, ...labels } = s.labels;
    const i = Number(tag);
    if (!Number.isInteger(i) || i < 0 || i >= count) continue;
    parts[i]!.push({ labels, value: s.value });
  }
  return parts.map((p) => ({ ok: true, samples: p }));
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
