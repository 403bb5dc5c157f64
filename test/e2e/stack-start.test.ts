// `canary start --fast` end to end: it comes up, serves traffic, the daemon rolls back after
// chaos, and Ctrl-C (SIGINT) leaves no process behind.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_FILES, dashboardQueries } from '../../src/stack/dashboards/index.js';
import { isAlive, runStack, waitFor, type StackRun } from './stack-run.js';

let stack: StackRun;
beforeAll(async () => {
  stack = await runStack(['--fast']);
});
afterAll(async () => {
  await stack?.cleanup();
});

const json = async <T>(url: string): Promise<T> => (await fetch(url)).json() as Promise<T>;

describe('canary start --fast', () => {
  it('runs every component and prints their URLs', () => {
    expect(Object.keys(stack.pids).sort()).toEqual([
      'alertmanager',
      'daemon',
      'llm-sim',
      'prometheus',
      'service',
    ]);
    for (const u of Object.values(stack.urls)) expect(stack.output()).toContain(u);
  });

  it('serves synthetic traffic that Prometheus records in both modes', async () => {
    const modes = await waitFor('searches of both modes in Prometheus', async () => {
      const body = await json<{
        data: { result: { metric: { ai_search_mode: string }; value: [number, string] }[] };
      }>(
        `${stack.urls.prometheus}/api/v1/query?query=${encodeURIComponent('ai_search:searches:rate5m > 0')}`,
      );
      const m = body.data.result.map((r) => r.metric.ai_search_mode).sort();
      return m.length === 2 ? m : undefined;
    });
    expect(modes).toEqual(['ai', 'keyword']);
  });

  it('passes the guide’s health check and smoke test against the running service', () => {
    for (const cmd of ['health-check', 'smoke']) {
      const out = execFileSync(
        process.execPath,
        ['bin/canary.js', cmd, '--url', stack.urls.service],
        { encoding: 'utf8' },
      );
      expect(out).toMatch(/all \d+ checks passed/);
    }
  });

  const rollbackMarks = async () => {
    const annotation = dashboardQueries(DASHBOARD_FILES['ai-search-rollout.json']).find(
      (q) => q.where === 'AI Search rollout health / annotation Rollbacks',
    );
    const body = await json<{ data: { result: { metric: Record<string, string> }[] } }>(
      `${stack.urls.prometheus}/api/v1/query?${new URLSearchParams({ query: annotation!.expr })}`,
    );
    return body.data.result.map((r) => r.metric);
  };

  it('marks no rollback on the rollout dashboard before there is one (series born at 0 are no event)', async () => {
    // The daemon exports every outcome at 0 from start-up, and the whole stack is younger than
    // the annotation's 2 m window: each of those series is "new" in it.
    await waitFor('the zero rollback series in Prometheus', async () => {
      const body = await json<{ data: { result: unknown[] } }>(
        `${stack.urls.prometheus}/api/v1/query?${new URLSearchParams({ query: 'canary_actions_total{action="immediate_rollback"} == 0' })}`,
      );
      return body.data.result.length >= 2 ? true : undefined;
    });
    expect(await rollbackMarks()).toEqual([]);
  });

  it('rolls AI search back within a minute of chaos, and says why', async () => {
    execFileSync(process.execPath, [
      'bin/canary.js',
      'chaos',
      '--ai-error-rate',
      '0.3',
      '--url',
      stack.urls.llmSim,
    ]);
    const rollback = await waitFor('the rollback', async () => {
      const { actions } = await json<{
        actions: { action: string; outcome: string; reason: string }[];
      }>(`${stack.urls.daemon}/api/actions`);
      return actions.find((a) => a.action === 'immediate_rollback' && a.outcome === 'success');
    });
    expect(rollback.reason).toMatch(/^ai_service_failure: value 0\.\d+ > 0\.1/);
    const flag = await json<{ rollout: { enabled: boolean } }>(
      `${stack.urls.service}/api/flags/ai-search-enabled`,
    );
    expect(flag.rollout.enabled).toBe(false);
    execFileSync(process.execPath, [
      'bin/canary.js',
      'chaos',
      '--ai-error-rate',
      '0',
      '--url',
      stack.urls.llmSim,
    ]);
  }, 90_000);

  it('marks the rollback on the rollout dashboard (the Rollbacks annotation), and nothing else', async () => {
    const marks = await waitFor(
      'the rollback annotation',
      async () => {
        const m = await rollbackMarks();
        return m.length > 0 ? m : undefined;
      },
      30_000,
    );
    expect(marks).toEqual([{ action: 'immediate_rollback', outcome: 'success' }]);
  });

  it('stops everything on SIGINT, leaving no process behind', async () => {
    const pids = Object.values(stack.pids);
    expect(pids.every(isAlive)).toBe(true);
    expect(await stack.stop('SIGINT')).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(path.join(stack.dataDir, 'stack.json'))).toBe(false);
  });
});
