// Property: whatever the series does (above, below, no data, failed queries), the daemon turns the
// flag off exactly once per alert instance that fired (one per activeAt), and never turns it on.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActionRunner } from '../../src/canary/actions/action-runner.js';
import type { Action } from '../../src/canary/actions/action.js';
import { createImmediateRollback } from '../../src/canary/actions/immediate-rollback.js';
import { evaluateRule } from '../../src/canary/engine/evaluator.js';
import { DaemonMetrics } from '../../src/canary/metrics.js';
import { StateStore } from '../../src/canary/engine/state-store.js';
import type { ActionName, QueryResult, RuleState } from '../../src/canary/types.js';
import { FakeClock } from '../../src/shared/clock.js';
import { createLogger } from '../../src/shared/logger.js';
import { FakeFlagStore } from '../fakes/fake-flag-store.js';
import { alertRule } from '../fakes/rule-fixtures.js';

const STEP = 1000;
const point = fc.constantFrom<'above' | 'below' | 'none' | 'error'>(
  'above',
  'below',
  'none',
  'error',
);

function resultOf(p: 'above' | 'below' | 'none' | 'error'): QueryResult {
  if (p === 'error') return { ok: false, error: 'connection refused' };
  // The expression filters: "below" returns nothing, like `ratio > 0.1` does.
  return { ok: true, samples: p === 'above' ? [{ labels: {}, value: 0.3 }] : [] };
}

describe('rollback once per alert instance (property)', () => {
  it('updates === distinct activeAt of instances that fired; never value true', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(point, { minLength: 1, maxLength: 30 }),
        fc.constantFrom(0, 2000, 5000),
        async (points, forMs) => {
          const dir = await mkdtemp(path.join(os.tmpdir(), 'canary-prop-'));
          try {
            const clock = new FakeClock(1_700_000_000_000);
            const logger = createLogger({ name: 'p', level: 'silent' });
            const flags = new FakeFlagStore();
            const store = await StateStore.open({ dataDir: dir, clock, logger });
            const actions = new Map<ActionName, Action>([
              ['immediate_rollback', createImmediateRollback({ flags, clock, logger })],
            ]);
            const runner = new ActionRunner({
              actions,
              store,
              clock,
              logger,
              metrics: new DaemonMetrics({ defaultMetrics: false }),
              dryRun: false,
              resendDelayMs: 60_000,
            });
            const rule = alertRule('ai_service_failure', { action: 'immediate_rollback', forMs });
            const fired = new Set<number>();
            let state: RuleState | undefined;
            for (const p of points) {
              const out = evaluateRule(rule, resultOf(p), clock.now(), state);
              state = out.state;
              for (const i of state.instances.values())
                if (i.state === 'firing') fired.add(i.activeAt);
              runner.afterEvaluation('id', 'g', rule, out, clock.now());
              await runner.idle();
              // A person resumes the rollout at once: only the once-per-instance rule prevents a repeat.
              flags.flags.set('ai-search-enabled', {
                ...flags.flags.get('ai-search-enabled')!,
                enabled: true,
              });
              await clock.advance(STEP);
            }
            expect(flags.updates).toHaveLength(fired.size);
            expect(flags.updates.every((u) => u.change.value === false)).toBe(true);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
