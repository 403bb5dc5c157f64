// feature_flag_store_connected: read from the flag evaluator at every scrape, 1 or 0, with no
// labels (the instance comes from Prometheus's target), so the alert can say which replica.
import { describe, expect, it } from 'vitest';
import { createServiceMetrics } from '../../src/search/metrics.js';

describe('feature_flag_store_connected', () => {
  it('follows the link at each scrape', async () => {
    const m = createServiceMetrics({ enabled: true, costTracking: false, providers: [] });
    let connected = true;
    m.watchFlagStore(() => connected);
    const line = async () =>
      (await m.render()).body
        .toString()
        .split('\n')
        .filter((l) => l.startsWith('feature_flag_store_connected'));
    expect(await line()).toEqual(['feature_flag_store_connected 1']);
    connected = false;
    expect(await line()).toEqual(['feature_flag_store_connected 0']);
    expect((await m.render()).body.toString()).toContain(
      '# TYPE feature_flag_store_connected gauge',
    );
    await m.shutdown();
  });
});
