// CanaryPrometheusUnreachable goes through the one evaluator: it fires on the evaluation that
// makes N consecutive failures, resolves on the first answer, keeps the same label set as before
// (what Alertmanager routes and deduplicates on), and hands each outcome to the action runner.
import { describe, expect, it } from 'vitest';
import type { ActionRunner } from '../../src/canary/actions/action-runner.js';
import { evaluateRule } from '../../src/canary/engine/evaluator.js';
import { PrometheusWatch, UNREACHABLE_ALERT } from '../../src/canary/engine/prometheus-watch.js';
import type { GroupResult } from '../../src/canary/engine/rule-engine.js';
import type { EvalOutcome } from '../../src/canary/types.js';
import { collectingLogger, LEVEL } from '../fakes/collecting-logger.js';

type Step = 'fail' | 'ok' | 'partial' | 'empty';

function run(steps: readonly Step[], threshold = 3) {
  const { logger, lines } = collectingLogger();
  const outcomes: { ruleId: string; outcome: EvalOutcome; ts: number }[] = [];
  const runner = {
    afterEvaluation: (ruleId: string, _g: string, _r: unknown, outcome: EvalOutcome, ts: number) =>
      outcomes.push({ ruleId, outcome, ts }),
  } as unknown as ActionRunner;
  let evaluations = 0;
  const watch = new PrometheusWatch({
    threshold,
    runner,
    logger,
    prometheusUrl: 'http://prom:9090',
    evaluate: (...args) => {
      evaluations++;
      return evaluateRule(...args);
    },
  });
  const result = (step: Step, ts: number): GroupResult => ({
    group: 'g',
    ts,
    rules: step === 'empty' ? 0 : 2,
    failed: step === 'fail' ? 2 : step === 'partial' ? 1 : 0,
    durationMs: 1,
    firstError: step === 'fail' ? `refused at ${ts}` : undefined,
  });
  steps.forEach((s, i) => watch.observe(result(s, 1000 * (i + 1))));
  const transitions = outcomes.flatMap((o) => o.outcome.transitions.map((t) => `${t.at}:${t.to}`));
  return { watch, lines, outcomes, transitions, evaluations };
}

describe('CanaryPrometheusUnreachable through the evaluator', () => {
  it.each<[string, Step[], string[]]>([
    ['two failures stay quiet', ['fail', 'fail'], []],
    ['the third failure in a row fires', ['fail', 'fail', 'fail'], ['3000:pending', '3000:firing']],
    [
      'a partial failure is an answer: the count starts over',
      ['fail', 'fail', 'partial', 'fail'],
      [],
    ],
    [
      'a group with no alerting rule says nothing',
      ['fail', 'fail', 'empty', 'fail'],
      ['4000:pending', '4000:firing'],
    ],
    [
      'the first answer resolves it, once',
      ['fail', 'fail', 'fail', 'fail', 'ok', 'ok'],
      ['3000:pending', '3000:firing', '5000:resolved'],
    ],
    [
      'a new outage is a new alert',
      ['fail', 'fail', 'fail', 'ok', 'fail', 'fail', 'fail'],
      ['3000:pending', '3000:firing', '4000:resolved', '7000:pending', '7000:firing'],
    ],
  ])('%s', (_name, steps, expected) => {
    const { transitions, evaluations } = run(steps);
    expect(transitions).toEqual(expected);
    expect(evaluations).toBe(steps.filter((s) => s !== 'empty').length);
  });

  it('keeps the alert labels Alertmanager routes on, and says why in the annotations', () => {
    const { outcomes, watch } = run(['fail', 'fail', 'fail']);
    const firing = outcomes.at(-1)!;
    expect(firing.ruleId).toBe(`canary-daemon::${UNREACHABLE_ALERT}`);
    const instance = [...firing.outcome.state.instances.values()][0]!;
    expect(instance.labels).toEqual({
      alertname: UNREACHABLE_ALERT,
      severity: 'critical',
      team: 'dev',
      action: 'notify_dev_team',
    });
    expect(instance).toMatchObject({ state: 'firing', value: 3, activeAt: 3000, firedAt: 3000 });
    expect(instance.annotations.description).toBe(
      '3 consecutive failed evaluations against http://prom:9090. Last error: refused at 3000',
    );
    expect(watch.state()).toMatchObject({ health: 'err', lastError: 'refused at 3000' });
    expect(watch.failures).toBe(3);
  });

  it('an error text with template braces is shown, never expanded', () => {
    const { logger } = collectingLogger();
    const seen: EvalOutcome[] = [];
    const runner = {
      afterEvaluation: (_i: string, _g: string, _r: unknown, o: EvalOutcome) => seen.push(o),
    } as unknown as ActionRunner;
    const watch = new PrometheusWatch({
      threshold: 1,
      runner,
      logger,
      prometheusUrl: 'http://prom',
      evaluate: evaluateRule,
    });
    watch.observe({
      group: 'g',
      ts: 1,
      rules: 1,
      failed: 1,
      durationMs: 1,
      firstError: 'bad {{ $value }}',
    });
    const inst = [...seen[0]!.state.instances.values()][0]!;
    expect(inst.annotations.description).toContain('Last error: bad { { $value }}');
  });

  it('logs an ERROR when it fires and an INFO when it resolves, once each', () => {
    const { lines } = run(['fail', 'fail', 'fail', 'fail', 'fail', 'ok', 'ok']);
    const errors = lines.filter((l) => l.level === LEVEL.error);
    expect(errors.map((l) => l.msg)).toEqual([
      expect.stringMatching(
        /^Prometheus unreachable: 3 evaluations in a row failed \(refused at 3000\)/,
      ),
    ]);
    expect(lines.filter((l) => l.level === LEVEL.info && /answers again/.test(l.msg))).toHaveLength(
      1,
    );
  });
});
