import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serializeMetrics } from '../../src/search/metrics-text.js';

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
    expect(serializeMetrics(rm)).toBe(official.serialize(rm));
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
          expect(serializeMetrics(rm)).toBe(official.serialize(rm));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('says so when nothing is registered', async () => {
    const rm = await collectAfter(() => {});
    expect(serializeMetrics(rm)).toBe(official.serialize(rm));
  });
});
