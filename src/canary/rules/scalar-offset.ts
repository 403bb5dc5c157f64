// Maps a position inside a YAML scalar's value (a PromQL error in a multi-line `expr: |`, a broken
// template in an annotation) back to an offset in the file, so errors point at the real line:col.
import type { Scalar } from 'yaml';

/**
 * The file offset of character `valueOffset` of the scalar's value. Block, folded and quoted
 * scalars change whitespace and quotes but never the other characters, so the n-th
 * non-whitespace character of the value is the n-th one of the source.
 */
export function scalarOffsetInFile(node: Scalar, source: string, valueOffset: number): number {
  const [start, end] = node.range ?? [0, 0];
  const value = String(node.value ?? '');
  let from = start;
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    const nl = source.indexOf('\n', start);
    from = nl === -1 ? end : nl + 1;
  } else if (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') {
    from = start + 1;
  }
  const wanted = countNonSpace(value.slice(0, Math.max(0, valueOffset)));
  let seen = 0;
  let lastNonSpace = from;
  for (let i = from; i < end; i++) {
    if (/\s/.test(source[i] as string)) continue;
    if (seen === wanted) return i;
    seen++;
    lastNonSpace = i + 1;
  }
  return lastNonSpace;
}

function countNonSpace(s: string): number {
  let n = 0;
  for (const ch of s) if (!/\s/.test(ch)) n++;
  return n;
}
