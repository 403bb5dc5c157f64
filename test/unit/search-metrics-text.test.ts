import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeriesText, serializeMetrics } from '../../src/search/metrics-text.js';

async function collectAfter(record: (p: MeterProvider) => void) {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'svc "x"' }),
    readers: [exporter],
  });
  record(provider);
  const { resourceMetrics } = await exporter.collect();
  await provider.shutdown();
  return resourceMetrics;
}

const official = new PrometheusSerializer(undefined, false, undefined, false, true);

describe('serializeMetrics', () => {
  it('writes exactly what the OpenTelemetry Prometheus serializer writes', async () => {
    const rm = await collectAfter((p) => {
      const m = p.getMeter('t');
      const h = m.createHistogram('gen_ai.client.operation.duration', {
        unit: 's',
        description: 'one\ncall',
        advice: { explicitBucketBoundaries: [0.1, 1, 10] },
      });
      h.record(0.5, { 'gen_ai.provider.name': 'openai', 'error.type': 'http_5xx' });
      h.record(20, {});
      m.createCounter('ai_search.searches').add(3, { mode: 'ai', outcome: 'success' });
      m.createCounter('already_total').add(1, { v: 'back\\slash "quoted"' });
      m.createUpDownCounter('in.flight').add(-2, { n: 1 });
      m.createHistogram('empty.one');
    });
    expect(serializeMetrics(rm).toString()).toBe(official.serialize(rm));
  });

  it('agrees with it for any label value and recorded numbers (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.string({ maxLength: 12 }), fc.double({ min: 0, max: 1e6, noNaN: true })),
          { maxLength: 8 },
        ),
        async (records) => {
          const rm = await collectAfter((p) => {
            const m = p.getMeter('t');
            const h = m.createHistogram('x.duration', {
              advice: { explicitBucketBoundaries: [1, 100] },
            });
            const c = m.createCounter('x.count');
            for (const [label, v] of records) {
              h.record(v, { l: label });
              c.add(v, { l: label });
            }
          });
          expect(serializeMetrics(rm).toString()).toBe(official.serialize(rm));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes the same page with a cache kept across scrapes, whatever was recorded between (property)', async () => {
    // Each step records into some series (or none), then the page is written twice: with the cache
    // the service keeps, and by the official serializer. A series left out of the rewrite, or text
    // kept after its series moved, shows as a difference.
    const step = fc.array(
      fc.tuple(
        fc.constantFrom('h', 'c'),
        fc.constantFrom('a', 'b', 'c', 'd"\\'),
        fc.constantFrom(0, 0.5, 3, 250, 1e6),
      ),
      { maxLength: 5 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        const exporter = new PrometheusExporter({ preventServerStart: true });
        const provider = new MeterProvider({ readers: [exporter] });
        const meter = provider.getMeter('t');
        const h = meter.createHistogram('x.duration', {
          advice: { explicitBucketBoundaries: [1, 100] },
        });
        const c = meter.createCounter('x.count');
        const cache = new SeriesText();
        for (const records of steps) {
          for (const [kind, label, v] of records) {
            if (kind === 'h') h.record(v, { l: label });
            else c.add(v, { l: label });
          }
          const { resourceMetrics } = await exporter.collect();
          const cached = serializeMetrics(resourceMetrics, cache).toString();
          expect(cached).toBe(official.serialize(resourceMetrics));
        }
        await provider.shutdown();
      }),
      { numRuns: 60 },
    );
  });

  it('says so when nothing is registered', async () => {
    const rm = await collectAfter(() => {});
    expect(serializeMetrics(rm).toString()).toBe(official.serialize(rm));
  });
});
