// The strict rule loader: Prometheus rule files → frozen RuleGroups, or every error found as
// `file:line:col: message`. `canary rules check`, the daemon's start-up and its reloads all use it.
import { readFile } from 'node:fs/promises';
import { isMap, isScalar } from 'yaml';
import type { Rule, RuleGroup } from '../types.js';
import { parseDuration } from './duration.js';
import { parseRule } from './parse-rule.js';
import { openYaml } from './yaml-context.js';
import type { YamlContext } from './yaml-context.js';
import type { RuleError } from './yaml-context.js';

export { formatRuleError } from './yaml-context.js';
export type { RuleError } from './yaml-context.js';

export interface LoadOptions {
  /** A group's interval when it sets none: the daemon's `--interval`. */
  readonly defaultIntervalMs: number;
}

export type LoadResult =
  | { readonly ok: true; readonly groups: RuleGroup[]; readonly files: string[] }
  | { readonly ok: false; readonly errors: RuleError[] };

const GROUP_KEYS = ['name', 'interval', 'limit', 'rules'];

export async function loadRuleFiles(
  paths: readonly string[],
  options: LoadOptions,
): Promise<LoadResult> {
  if (paths.length === 0) {
    return {
      ok: false,
      errors: [{ file: '<none>', line: 0, col: 0, message: 'no rule files given' }],
    };
  }
  const groups: RuleGroup[] = [];
  const errors: RuleError[] = [];
  for (const file of paths) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      errors.push({
        file,
        line: 1,
        col: 1,
        message: `cannot read rule file: ${(err as Error).message}`,
      });
      continue;
    }
    const result = parseRuleText(text, file, options);
    if (result.ok) groups.push(...result.groups);
    else errors.push(...result.errors);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, groups, files: [...paths] };
}

/** Parses one file's text; `file` is only used in positions and errors. */
export function parseRuleText(text: string, file: string, options: LoadOptions): LoadResult {
  const yaml = openYaml(text, file);
  if (!yaml.ok) return yaml;
  const { ctx, contents } = yaml;
  // An empty file is a valid rule file with no groups, as for promtool.
  if (contents === null) return { ok: true, groups: [], files: [file] };
  const groups = parseGroups(ctx, contents, options);
  if (ctx.errors.length === 0) return { ok: true, groups, files: [file] };
  const errors = [...ctx.errors].sort((a, b) => a.line - b.line || a.col - b.col);
  return { ok: false, errors };
}

function parseGroups(ctx: YamlContext, contents: unknown, options: LoadOptions): RuleGroup[] {
  const top = ctx.map(contents, 'a rule file (with a top-level "groups:" list)');
  if (top === undefined) return [];
  const groupsPair = ctx.pairs(top, ['groups'], 'rule file').get('groups');
  if (groupsPair === undefined) {
    if (isMap(top) && top.items.length === 0) return [];
    ctx.error(top, 'a rule file needs a top-level "groups:" list');
    return [];
  }
  if (isEmpty(groupsPair.value)) return [];
  const list = ctx.seq(groupsPair.value, 'groups');
  const names = new Set<string>();
  const groups: RuleGroup[] = [];
  for (const node of list?.items ?? []) {
    const group = parseGroup(ctx, node, options, names);
    if (group !== undefined) groups.push(group);
  }
  return groups;
}

function parseGroup(
  ctx: YamlContext,
  node: unknown,
  options: LoadOptions,
  names: Set<string>,
): RuleGroup | undefined {
  const map = ctx.map(node, 'group');
  if (map === undefined) return undefined;
  const pairs = ctx.pairs(map, GROUP_KEYS, 'group');
  const name = pairs.has('name') ? ctx.string(pairs.get('name')?.value, 'group name') : undefined;
  if (name === undefined || name.text === '') {
    ctx.error(name?.node ?? map, 'Groupname must not be empty');
    return undefined;
  }
  if (names.has(name.text))
    ctx.error(name.node, `groupname: ${JSON.stringify(name.text)} is repeated in the same file`);
  names.add(name.text);
  let intervalMs = options.defaultIntervalMs;
  const interval = pairs.has('interval')
    ? ctx.string(pairs.get('interval')?.value, 'interval')
    : undefined;
  if (interval !== undefined) {
    const parsed = parseDuration(interval.text);
    if (!parsed.ok) ctx.error(interval.node, `interval: ${parsed.message}`);
    else if (parsed.ms > 0) intervalMs = parsed.ms;
  }
  const limit = pairs.get('limit');
  if (
    limit !== undefined &&
    String((limit.value as { value?: unknown } | null)?.value ?? '0') !== '0'
  ) {
    // Prometheus fails a rule that returns more than `limit` alerts; the daemon does not implement
    // that, so it refuses the file rather than evaluate it differently from Prometheus.
    ctx.error(
      limit.value as never,
      'limit is not supported by the canary daemon (use 0 or leave it out)',
    );
  }
  const rules: Rule[] = [];
  const rulesPair = pairs.get('rules');
  const ruleList = isEmpty(rulesPair?.value) ? undefined : ctx.seq(rulesPair?.value, 'rules');
  for (const item of ruleList?.items ?? []) {
    const rule = parseRule(ctx, item);
    if (rule !== undefined) rules.push(rule);
  }
  return Object.freeze({
    name: name.text,
    file: ctx.file,
    intervalMs,
    rules: Object.freeze(rules),
  });
}

/** `key:` with nothing after it: Prometheus reads it as an empty list. */
function isEmpty(node: unknown): boolean {
  return node == null || (isScalar(node) && node.value === null);
}
