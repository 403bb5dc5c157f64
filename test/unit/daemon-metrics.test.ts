import { describe, expect, it } from 'vitest';
import { DaemonMetrics } from '../../src/canary/metrics.js';

describe('daemon metrics', () => {
  it('exports every action outcome at 0 from start-up, so increase() sees the first rollback', async () => {
    const m = new DaemonMetrics({ defaultMetrics: false });
    const text = await m.registry.getSingleMetricAsString('canary_actions_total');
    for (const action of ['immediate_rollback', 'notify_dev_team', 'notify_product_team']) {
      for (const outcome of ['success', 'failure', 'skipped', 'dry_run']) {
        expect(text).toContain(`canary_actions_total{action="${action}",outcome="${outcome}"} 0`);
      }
    }
    m.countAction('immediate_rollback', 'success');
    expect(await m.registry.getSingleMetricAsString('canary_actions_total')).toContain(
      'canary_actions_total{action="immediate_rollback",outcome="success"} 1',
    );
  });
});
