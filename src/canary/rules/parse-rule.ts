// One entry of a group's `rules:` list → a frozen AlertingRule or RecordingRule, with every
// problem reported at its position. Prometheus's rulefmt checks, plus the daemon's own: the
// `action` label must name a known action, a rollback must name its flag, and its `notify` label
// (who hears of it; notify_dev_team when absent) must name a notify action or `none`.
import type { Pair, Scalar, YAMLMap } from 'yaml';
import { ACTIONS, DEFAULT_ROLLBACK_NOTIFY, NOTIFY_ACTIONS } from '../types.js';
import type { ActionName, NotifyAction, Rule, Threshold } from '../types.js';
import { parseDuration } from './duration.js';
import { checkPromql } from './promql.js';
import { parseTemplate } from './template.js';
import type { YamlContext } from './yaml-context.js';

const RULE_KEYS = ['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

interface Fields {
  readonly pairs: Map<string, Pair>;
  readonly map: YAMLMap;
}

export function parseRule(ctx: YamlContext, node: unknown): Rule | undefined {
  const map = ctx.map(node, 'rule');
  if (map === undefined) return undefined;
  const f: Fields = { pairs: ctx.pairs(map, RULE_KEYS, 'rule'), map };
  const alert = f.pairs.get('alert');
  const record = f.pairs.get('record');
  if (alert && record) {
    ctx.error(record, "only one of 'record' and 'alert' must be set");
    return undefined;
  }
  if (!alert && !record) {
    ctx.error(map, "one of 'record' or 'alert' must be set");
    return undefined;
  }
  const errorsBefore = ctx.errors.length;
  const rule = alert ? alertingRule(ctx, f, alert) : recordingRule(ctx, f, record as Pair);
  return ctx.errors.length === errorsBefore ? rule : undefined;
}

function alertingRule(ctx: YamlContext, f: Fields, namePair: Pair): Rule | undefined {
  const name = ctx.string(namePair.value, 'alert');
  if (name !== undefined && name.text === '')
    ctx.error(namePair.value as Scalar, "field 'alert' must not be empty");
  const expr = expression(ctx, f);
  const forMs = duration(ctx, f.pairs.get('for'), 'for');
  const keepFiringForMs = duration(ctx, f.pairs.get('keep_firing_for'), 'keep_firing_for');
  const labels = stringMap(ctx, f.pairs.get('labels'), 'labels', true);
  const annotations = stringMap(ctx, f.pairs.get('annotations'), 'annotations', true);
  const { action, flag } = actionOf(ctx, f.pairs.get('labels'), labels);
  const notify = notifyOf(ctx, f.pairs.get('labels'), labels, action);
  if (!name || !expr) return undefined;
  return Object.freeze({
    kind: 'alert',
    name: name.text,
    expr: expr.text,
    forMs,
    keepFiringForMs,
    labels,
    annotations,
    action,
    flag,
    notify,
    threshold: expr.threshold,
    pos: ctx.posOf(f.map),
  });
}

function recordingRule(ctx: YamlContext, f: Fields, namePair: Pair): Rule | undefined {
  const name = ctx.string(namePair.value, 'record');
  if (name !== undefined && !METRIC_NAME.test(name.text)) {
    ctx.error(name.node, `invalid recording rule name: ${JSON.stringify(name.text)}`);
  }
  for (const key of ['for', 'keep_firing_for', 'annotations']) {
    const pair = f.pairs.get(key);
    if (pair) ctx.error(pair, `invalid field '${key}' in recording rule`);
  }
  const expr = expression(ctx, f);
  const labels = stringMap(ctx, f.pairs.get('labels'), 'labels', false);
  const actionPair = labelPair(f.pairs.get('labels'), 'action');
  if (actionPair) {
    ctx.error(
      actionPair,
      "label 'action' on a recording rule does nothing: actions belong on alerting rules",
    );
  }
  if (!name || !expr) return undefined;
  return Object.freeze({
    kind: 'record',
    name: name.text,
    expr: expr.text,
    labels,
    pos: ctx.posOf(f.map),
  });
}

function expression(
  ctx: YamlContext,
  f: Fields,
): { text: string; threshold: Threshold | undefined } | undefined {
  const pair = f.pairs.get('expr');
  if (!pair) {
    ctx.error(f.map, "field 'expr' must be set in rule");
    return undefined;
  }
  const expr = ctx.string(pair.value, 'expr');
  if (!expr) return undefined;
  const checked = checkPromql(expr.text);
  if (!checked.ok) {
    ctx.errorInScalar(expr.node, checked.offset, checked.message);
    return undefined;
  }
  return { text: expr.text.trim(), threshold: checked.threshold };
}

function duration(ctx: YamlContext, pair: Pair | undefined, what: string): number {
  if (!pair) return 0;
  const value = ctx.string(pair.value, what);
  if (!value) return 0;
  const parsed = parseDuration(value.text);
  if (parsed.ok) return parsed.ms;
  ctx.error(value.node, `${what}: ${parsed.message}`);
  return 0;
}

/** `labels:` / `annotations:` → a frozen record; names checked, values checked as templates. */
function stringMap(
  ctx: YamlContext,
  pair: Pair | undefined,
  what: string,
  templated: boolean,
): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!pair || pair.value === null || (pair.value as Scalar).value === null)
    return Object.freeze(out);
  const map = ctx.map(pair.value, what);
  for (const item of map?.items ?? []) {
    const key = ctx.string(item.key, `${what} name`);
    const value = ctx.string(item.value, `${what} value`);
    if (!key || !value) continue;
    const noun = what === 'labels' ? 'label' : 'annotation';
    if (!LABEL_NAME.test(key.text) || key.text === '__name__') {
      ctx.error(key.node, `invalid ${noun} name: ${JSON.stringify(key.text)}`);
      continue;
    }
    if (templated) {
      const tmpl = parseTemplate(value.text);
      if (!tmpl.ok)
        ctx.errorInScalar(
          value.node,
          tmpl.offset,
          `${noun} ${key.text}: template: ${tmpl.message}`,
        );
    }
    out[key.text] = value.text;
  }
  return Object.freeze(out);
}

/** The daemon acts on `action`; a typo there must be a load error, never a silently ignored rollback. */
function actionOf(
  ctx: YamlContext,
  labelsPair: Pair | undefined,
  labels: Readonly<Record<string, string>>,
): { action: ActionName | undefined; flag: string | undefined } {
  const raw = labels['action'];
  const flag = labels['flag'];
  if (raw === undefined) return { action: undefined, flag };
  const at = labelPair(labelsPair, 'action')?.value as Scalar;
  if (!(ACTIONS as readonly string[]).includes(raw)) {
    ctx.error(at, `unknown action ${JSON.stringify(raw)} (known actions: ${ACTIONS.join(', ')})`);
    return { action: undefined, flag };
  }
  const action = raw as ActionName;
  if (action === 'immediate_rollback' && (flag === undefined || flag === '')) {
    ctx.error(at, "action immediate_rollback needs a 'flag' label naming the flag to turn off");
  }
  if (flag !== undefined && flag.includes('{{')) {
    ctx.error(
      labelPair(labelsPair, 'flag')?.value as Scalar,
      "label 'flag' must be a literal flag key, not a template",
    );
  }
  return { action, flag };
}

const NOTIFY_VALUES = [...NOTIFY_ACTIONS, 'none'];

/** Who hears of a rollback: declared by the `notify` label, else the documented default. */
function notifyOf(
  ctx: YamlContext,
  labelsPair: Pair | undefined,
  labels: Readonly<Record<string, string>>,
  action: ActionName | undefined,
): NotifyAction | undefined {
  const raw = labels['notify'];
  if (raw === undefined)
    return action === 'immediate_rollback' ? DEFAULT_ROLLBACK_NOTIFY : undefined;
  const at = labelPair(labelsPair, 'notify')?.value as Scalar;
  if (action !== 'immediate_rollback') {
    ctx.error(
      at,
      `label 'notify' says who hears of a rollback; it goes with action: immediate_rollback (${action === undefined ? 'this rule has no action' : `action ${action} notifies by itself`})`,
    );
    return undefined;
  }
  if (!NOTIFY_VALUES.includes(raw)) {
    ctx.error(at, `unknown notify ${JSON.stringify(raw)} (known: ${NOTIFY_VALUES.join(', ')})`);
    return undefined;
  }
  return raw === 'none' ? undefined : (raw as NotifyAction);
}

function labelPair(labelsPair: Pair | undefined, name: string): Pair | undefined {
  const map = labelsPair?.value as YAMLMap | undefined;
  if (!map || !Array.isArray(map.items)) return undefined;
  return map.items.find((p) => (p.key as Scalar | null)?.value === name);
}
