// Reading one YAML rule file with positions: every error is collected as `file:line:col: message`.
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { SourcePos } from '../types.js';
import { scalarOffsetInFile } from './scalar-offset.js';

export interface RuleError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
}

export function formatRuleError(e: RuleError): string {
  return `${e.file}:${e.line}:${e.col}: ${e.message}`;
}

/**
 * Parses one YAML file with positions and duplicate keys refused: its contents (null when empty)
 * and a context to read them with, or the syntax errors as `file:line:col`.
 */
export function openYaml(
  text: string,
  file: string,
): { ok: true; contents: unknown; ctx: YamlContext } | { ok: false; errors: RuleError[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const ctx = new YamlContext(file, text, lines);
  if (doc.errors.length === 0) return { ok: true, contents: doc.contents, ctx };
  for (const e of doc.errors) ctx.error(e.pos[0], `YAML: ${e.message.split('\n')[0]}`);
  return { ok: false, errors: ctx.errors };
}

/** The file being read, its line counter, and the errors found so far. */
export class YamlContext {
  readonly errors: RuleError[] = [];

  constructor(
    readonly file: string,
    readonly source: string,
    readonly lines: LineCounter,
  ) {}

  pos(offset: number): SourcePos {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }

  posOf(node: Node | Pair | null | undefined): SourcePos {
    return this.pos(offsetOf(node));
  }

  error(at: Node | Pair | number | null | undefined, message: string): void {
    const offset = typeof at === 'number' ? at : offsetOf(at);
    this.errors.push({ ...this.pos(offset), message });
  }

  /** An error at character `valueOffset` inside a scalar's value (PromQL, templates). */
  errorInScalar(node: Scalar, valueOffset: number, message: string): void {
    this.error(scalarOffsetInFile(node, this.source, valueOffset), message);
  }

  /** The map's pairs, after rejecting keys not in `known` (Prometheus's "field x not found"). */
  pairs(map: YAMLMap, known: readonly string[], what: string): Map<string, Pair> {
    const out = new Map<string, Pair>();
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) {
        this.error(pair.key as Node, `${what}: keys must be plain strings`);
      } else if (!known.includes(key)) {
        this.error(
          pair.key as Node,
          `field ${key} not found in ${what} (known fields: ${known.join(', ')})`,
        );
      } else {
        out.set(key, pair);
      }
    }
    return out;
  }

  /** A scalar's text as written (`for: 0` and `expr: 5` are strings to Prometheus too). */
  string(node: unknown, what: string): { text: string; node: Scalar } | undefined {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') {
      this.error(node as Node, `${what} must be a string`);
      return undefined;
    }
    const text =
      typeof node.value === 'string'
        ? node.value
        : this.source.slice(node.range?.[0] ?? 0, node.range?.[1] ?? 0);
    return { text, node };
  }

  map(node: unknown, what: string): YAMLMap | undefined {
    if (isMap(node)) return node;
    this.error(node as Node, `${what} must be a mapping`);
    return undefined;
  }

  seq(node: unknown, what: string): YAMLSeq | undefined {
    if (isSeq(node)) return node;
    this.error(node as Node, `${what} must be a list`);
    return undefined;
  }
}

function offsetOf(node: Node | Pair | null | undefined): number {
  if (node == null) return 0;
  if ('range' in node && node.range) return node.range[0];
  if ('key' in node) return offsetOf(node.key as Node);
  return 0;
}
