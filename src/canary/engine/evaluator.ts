// The pure alert evaluator: (rule, query result, now, previous state) → (next state, transitions).
// It follows Prometheus 2.42's rules/alerting.go step by step so the daemon and Prometheus agree
// on every pending and firing moment. No clock, network or disk: time is the `now` argument.
//
// NaN: PromQL comparisons with NaN are false, so `ratio > 0.1` drops a 0/0 sample and the
// instance is simply absent (a pending one is dropped, a firing one resolves). A sample that
// Prometheus does return with a NaN value (an expression without a comparison) is active, exactly
// as in Prometheus: presence in the result is what counts, never the value.
import { alertKey } from './alert-key.js';
import { expandTemplate } from '../rules/template.js';
import type {
  AlertInstance,
  AlertState,
  AlertingRule,
  EvalOutcome,
  QueryResult,
  RuleState,
  Sample,
  Transition,
} from '../types.js';

export { alertKey } from './alert-key.js';
export { expandTemplate } from '../rules/template.js';

/** How long a resolved instance is kept so its resolve notification can be sent (Prometheus's 15m). */
export const RESOLVED_RETENTION_MS = 15 * 60_000;

export function initialRuleState(): RuleState {
  return {
    instances: new Map(),
    health: 'unknown',
    lastError: undefined,
    lastEvaluation: undefined,
  };
}

export function evaluateRule(
  rule: AlertingRule,
  result: QueryResult,
  now: number,
  prev: RuleState | undefined,
): EvalOutcome {
  const before = prev ?? initialRuleState();
  if (!result.ok) return failed(before, result.error, now);
  const seen = activeInstances(rule, result.samples, now);
  if (!seen.ok) return failed(before, seen.error, now);

  const instances = new Map<string, AlertInstance>();
  const transitions: Transition[] = [];
  const note = (from: Transition['from'], to: Transition['to'], instance: AlertInstance) =>
    transitions.push({ rule: rule.name, key: instance.key, from, to, instance, at: now });

  for (const [key, fresh] of seen.instances) {
    const old = before.instances.get(key);
    let inst: AlertInstance;
    if (old !== undefined && old.state !== 'resolved') {
      // Still active: keep activeAt, refresh value and annotations.
      inst = {
        ...old,
        value: fresh.value,
        annotations: fresh.annotations,
        lastSeenAt: now,
        keepFiringSince: undefined,
      };
    } else {
      // New, or a resolved instance that came back: a new pending alert with a new activeAt.
      inst = fresh;
      note(old === undefined ? 'inactive' : 'resolved', 'pending', inst);
    }
    if (inst.state === 'pending' && now - inst.activeAt >= rule.forMs) {
      inst = { ...inst, state: 'firing', firedAt: now };
      note('pending', 'firing', inst);
    }
    instances.set(key, inst);
  }

  for (const [key, old] of before.instances) {
    if (seen.instances.has(key)) continue;
    const next = absent(rule, old, now);
    if (next !== undefined) instances.set(key, next);
    const to: AlertState | 'resolved' = next === undefined ? 'inactive' : next.state;
    if (to !== old.state) note(old.state, to, next ?? old);
  }

  return {
    state: { instances, health: 'ok', lastError: undefined, lastEvaluation: now },
    transitions,
  };
}

/** What becomes of an instance the expression no longer returns; undefined = removed. */
function absent(rule: AlertingRule, old: AlertInstance, now: number): AlertInstance | undefined {
  switch (old.state) {
    case 'pending':
      return undefined;
    case 'firing': {
      const since = old.keepFiringSince ?? now;
      if (rule.keepFiringForMs > 0 && now - since < rule.keepFiringForMs) {
        return { ...old, keepFiringSince: since };
      }
      return { ...old, state: 'resolved', resolvedAt: now, keepFiringSince: undefined };
    }
    case 'resolved':
      return now - (old.resolvedAt ?? now) > RESOLVED_RETENTION_MS ? undefined : old;
  }
}

/** A failed query changes no instance: only health, lastError and the evaluation time. */
function failed(prev: RuleState, error: string, now: number): EvalOutcome {
  return {
    state: { instances: prev.instances, health: 'err', lastError: error, lastEvaluation: now },
    transitions: [],
  };
}

type Active =
  | { readonly ok: true; readonly instances: ReadonlyMap<string, AlertInstance> }
  | { readonly ok: false; readonly error: string };

/** One fresh pending instance per sample; two samples with one label set is an error, as in Prometheus. */
function activeInstances(rule: AlertingRule, samples: readonly Sample[], now: number): Active {
  const instances = new Map<string, AlertInstance>();
  for (const sample of samples) {
    const labels = instanceLabels(rule, sample);
    const key = alertKey(labels);
    if (instances.has(key)) {
      return {
        ok: false,
        error: 'vector contains metrics with the same labelset after applying alert labels',
      };
    }
    instances.set(key, {
      key,
      labels,
      annotations: expandAll(rule.annotations, sample),
      state: 'pending',
      value: sample.value,
      activeAt: now,
      firedAt: undefined,
      resolvedAt: undefined,
      lastSeenAt: now,
      keepFiringSince: undefined,
    });
  }
  return { ok: true, instances };
}

/** The series' labels minus `__name__`, then the rule's labels (templated; they win), then alertname. */
function instanceLabels(rule: AlertingRule, sample: Sample): Readonly<Record<string, string>> {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(sample.labels)) {
    if (name !== '__name__' && value !== '') labels[name] = value;
  }
  for (const [name, value] of Object.entries(expandAll(rule.labels, sample))) {
    // An empty value removes the label, as Prometheus's label builder does.
    if (value === '') delete labels[name];
    else labels[name] = value;
  }
  labels['alertname'] = rule.name;
  return labels;
}

function expandAll(
  templates: Readonly<Record<string, string>>,
  sample: Sample,
): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(templates)) {
    out[name] = text.includes('{{') ? expandTemplate(text, sample.labels, sample.value) : text;
  }
  return out;
}
