// The daemon's alerts to Alertmanager carry Prometheus's external labels, read from
// /api/v1/status/config, so that Alertmanager merges them with Prometheus's own copies.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createExternalLabelSource,
  parseExternalLabels,
  withExternalLabels,
} from '../../src/canary/actions/external-labels.js';
import { FakeClock } from '../../src/shared/clock.js';

const answer = (yaml: string) => ({ status: 'success', data: { yaml } });

describe('parseExternalLabels', () => {
  it.each([
    [
      'global:\n  external_labels:\n    app: ai-search\n',
      { ok: true, labels: { app: 'ai-search' } },
    ],
    ['global:\n  scrape_interval: 15s\n', { ok: true, labels: {} }],
    ['scrape_configs: []\n', { ok: true, labels: {} }],
    ['global:\n  external_labels: [app]\n', { ok: false }],
    ['global:\n  external_labels:\n    replica: 2\n', { ok: false }],
    ['global: [unclosed\n', { ok: false }],
  ])('%j → %j', (yaml, expected) => {
    expect(parseExternalLabels(answer(yaml))).toMatchObject(expected);
  });

  it('refuses what is not a status/config answer', () => {
    expect(parseExternalLabels({ status: 'error' }).ok).toBe(false);
    expect(parseExternalLabels('<html>').ok).toBe(false);
  });
});

describe('withExternalLabels', () => {
  it("adds the external labels the alert lacks; the alert's own labels win, as in Prometheus", () => {
    expect(
      withExternalLabels({ alertname: 'x', app: 'own' }, { app: 'ai-search', cluster: 'eu' }),
    ).toEqual({ alertname: 'x', app: 'own', cluster: 'eu' });
  });
});

describe('createExternalLabelSource', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function prometheus(responses: (() => [number, unknown])[]) {
    const seen = { requests: 0 };
    server = createServer((req, res) => {
      expect(req.url).toBe('/api/v1/status/config');
      const next = responses[Math.min(seen.requests, responses.length - 1)]!;
      seen.requests += 1;
      const [status, body] = next();
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, seen };
  }

  it('waits for the first answer, then serves it from the cache until the refresh is due', async () => {
    const clock = new FakeClock(0);
    const { url, seen } = await prometheus([
      () => [200, answer('global:\n  external_labels:\n    app: ai-search\n')],
      () => [200, answer('global:\n  external_labels:\n    app: renamed\n')],
    ]);
    const source = createExternalLabelSource({
      prometheusUrl: url,
      timeoutMs: 5000,
      clock,
      refreshMs: 1000,
    });
    expect(await source.get()).toEqual({ app: 'ai-search' });
    expect(await source.get()).toEqual({ app: 'ai-search' });
    expect(seen.requests).toBe(1);
    await clock.advance(1000);
    expect(await source.get()).toEqual({ app: 'ai-search' }); // refresh runs in the background
    await expect.poll(() => source.get()).toEqual({ app: 'renamed' });
    expect(seen.requests).toBe(2);
  });

  it('reports a failure, sends without labels meanwhile, and asks again after the retry delay', async () => {
    const clock = new FakeClock(0);
    const errors: string[] = [];
    const { url, seen } = await prometheus([
      () => [503, { status: 'error' }],
      () => [200, answer('global:\n  external_labels:\n    app: ai-search\n')],
    ]);
    const source = createExternalLabelSource({
      prometheusUrl: url,
      timeoutMs: 5000,
      clock,
      retryMs: 60_000,
      onError: (e) => errors.push(e),
    });
    expect(await source.get()).toEqual({});
    expect(errors).toEqual(['HTTP 503']);
    expect(await source.get()).toEqual({}); // no new request before the retry delay
    expect(seen.requests).toBe(1);
    await clock.advance(60_000);
    expect(await source.get()).toEqual({ app: 'ai-search' });
  });
});
