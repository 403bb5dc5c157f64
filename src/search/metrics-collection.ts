// The OpenTelemetry SDK's part of the page, collected and written again only when something in it
// changed. Collecting costs the same whether anything moved or not (every instrument's storage is
// merged into its cumulative state and every data point made anew): 0.2 ms of CPU back to back,
// but 0.9 ms at the median on an idle scrape here, where each scrape runs from cold caches; half
// of the render. The per-request series live outside the SDK (metrics-hot-series.ts), so between
// two scrapes the SDK's part moves only when an LLM call, a feedback or a skipped call was
// recorded.
//
// How "changed" is known without collecting: the instruments come from a meter that counts every
// write (`add`, `record`), so no recording path can be forgotten; an observable instrument's
// callbacks are run here before each render and their observations compared with the last ones.
import type {
  Attributes,
  Counter,
  Histogram,
  Meter,
  MetricOptions,
  ObservableCallback,
  ObservableGauge,
  ObservableResult,
} from '@opentelemetry/api';

/** The part of a Meter the service uses, each write counted. */
export type CountingMeter = Pick<
  Meter,
  'createCounter' | 'createHistogram' | 'createObservableGauge'
>;

/** What `collect` makes of a collection (the service: its bytes on the page) is kept as well. */
export class ReusedCollection<T> {
  readonly meter: CountingMeter;
  private writes = 0;
  private readonly callbacks: ObservableCallback[] = [];
  private collectedAt = -1;
  private observedAt: string | undefined;
  private collection: Promise<T> | undefined;

  constructor(
    meter: Meter,
    private readonly collect: () => Promise<T>,
  ) {
    // Every write goes through here first: the count a collection is checked against.
    const counted =
      <A extends unknown[]>(write: (...args: A) => void) =>
      (...args: A) => {
        this.writes += 1;
        write(...args);
      };
    this.meter = {
      createCounter: (name: string, options?: MetricOptions): Counter => {
        const counter = meter.createCounter(name, options);
        return { add: counted(counter.add.bind(counter)) };
      },
      createHistogram: (name: string, options?: MetricOptions): Histogram => {
        const histogram = meter.createHistogram(name, options);
        return { record: counted(histogram.record.bind(histogram)) };
      },
      createObservableGauge: (name: string, options?: MetricOptions): ObservableGauge => {
        const gauge = meter.createObservableGauge(name, options);
        return {
          addCallback: (callback) => {
            this.callbacks.push(callback);
            gauge.addCallback(callback);
          },
          removeCallback: (callback) => {
            const at = this.callbacks.indexOf(callback);
            if (at >= 0) this.callbacks.splice(at, 1);
            gauge.removeCallback(callback);
          },
        };
      },
    } as CountingMeter;
  }

  /**
   * What a collection now would give. Renders at the same time share one collection; a failed one
   * is not kept.
   */
  async current(): Promise<T> {
    const observed = this.observations();
    const stale =
      this.collection === undefined ||
      this.writes !== this.collectedAt ||
      observed === undefined ||
      observed !== this.observedAt;
    if (stale) {
      this.collectedAt = this.writes;
      this.observedAt = observed;
      const collection = this.collect();
      this.collection = collection;
      collection.catch(() => {
        if (this.collection === collection) this.collection = undefined;
      });
    }
    return this.collection as Promise<T>;
  }

  /** What the observable callbacks report now; undefined (always stale) if one is asynchronous. */
  private observations(): string | undefined {
    const seen: [number, Attributes | undefined][] = [];
    const result: ObservableResult = {
      observe: (value, attributes) => void seen.push([value, attributes]),
    };
    for (const callback of this.callbacks) {
      const returned: unknown = callback(result);
      if (returned instanceof Promise) return undefined;
    }
    return JSON.stringify(seen);
  }
}
