// The per-request series, kept off the OpenTelemetry SDK: the HTTP, search, DB and render
// durations, the search, cohort, flag and cache counters. The SDK hashes a record's attributes on
// every call (sorts the keys, JSON.stringify) and has no bound instruments, which made a cached
// search's telemetry 12–20% of its CPU; and any write to it makes its next collection a new one,
// so a search between two scrapes cost the scrape a whole collection. Here each series is found
// by its attribute object (one frozen object per label set, see `AttrsMemo`), so recording is a
// lookup and an addition; and each family writes its own lines of the page, keeping each series'
// text until that series moves and its own bytes until one of its series does. An idle scrape
// rewrites the two series that moved (the last scrape's request and render times) and sends the
// rest as kept.
import type { Attributes } from '@opentelemetry/api';
import { familyHeader, familyName, histogramLines, line, writeLabels } from './metrics-text.js';
import { attributesKey, type HistogramSpec } from './metrics-zero-series.js';

/** What a family's header says: the instrument's name (dots), description and unit. */
export interface FamilySpec {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
}

interface Series {
  /** `k="v",…` as the page writes it. */
  readonly labels: string;
  /** The series' lines as last written; undefined once it moved. */
  text: Buffer | undefined;
}

const NOTHING = Buffer.alloc(0);

/**
 * One family of series and its part of the page. A series is created at zero by `seed` or by its
 * first record, and is the same series for any attribute object with the same labels (so a
 * pre-declared series and the one recordings land on cannot split in two). Series are written in
 * the order they were created, as the SDK does.
 */
abstract class Family<S extends Series> {
  protected readonly name: string;
  private readonly header: Buffer;
  // Weak: an attribute object made per call (none is, today) would not be kept alive by this.
  private readonly byAttrs = new WeakMap<Attributes, S>();
  private readonly byKey = new Map<string, S>();
  private readonly order: S[] = [];
  private bytes: Buffer | undefined;

  constructor(spec: FamilySpec, type: 'counter' | 'histogram') {
    this.name = familyName(spec.name, type === 'counter');
    this.header = Buffer.from(familyHeader(this.name, spec.description, spec.unit, type));
  }

  /** Creates the series at zero if it does not exist (an error ratio needs its numerator at 0). */
  seed(attrs: Attributes): void {
    this.series(attrs);
  }

  /** The family's lines as OpenTelemetry's serializer writes them; none before its first series. */
  page(): Buffer {
    if (this.bytes !== undefined) return this.bytes;
    if (this.order.length === 0) return NOTHING;
    const chunks = [this.header];
    for (const s of this.order) chunks.push((s.text ??= Buffer.from(this.write(s))));
    return (this.bytes = Buffer.concat(chunks));
  }

  protected series(attrs: Attributes): S {
    let s = this.byAttrs.get(attrs);
    if (s === undefined) {
      const key = attributesKey(attrs);
      s = this.byKey.get(key);
      if (s === undefined) {
        s = this.create(writeLabels(attrs));
        this.byKey.set(key, s);
        this.order.push(s);
        this.bytes = undefined;
      }
      this.byAttrs.set(attrs, s);
    }
    return s;
  }

  /** Marks `s` (and so the family's bytes) to be written again. */
  protected moved(s: S): void {
    s.text = undefined;
    this.bytes = undefined;
  }

  protected abstract create(labels: string): S;
  protected abstract write(s: S): string;
}

interface HistogramSeries extends Series {
  /** One count per bucket: counts[i] holds values ≤ boundaries[i] (and > the one before); the last, the rest. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** Cumulative explicit-bucket histograms, bucketed as the SDK does (v ≤ le). */
export class HotHistogram extends Family<HistogramSeries> {
  constructor(readonly spec: HistogramSpec) {
    super(spec, 'histogram');
  }

  record(value: number, attrs: Attributes): void {
    // As the SDK: a negative or NaN value is not a duration or a size, and is dropped; a NaN one
    // after its series is created (at zero), a negative one before.
    if (value < 0) return;
    const s = this.series(attrs);
    if (Number.isNaN(value)) return;
    s.count += 1;
    s.sum += value;
    s.counts[bucketOf(this.spec.boundaries, value)]! += 1;
    this.moved(s);
  }

  protected create(labels: string): HistogramSeries {
    const counts = new Array<number>(this.spec.boundaries.length + 1).fill(0);
    return { labels, text: undefined, counts, sum: 0, count: 0 };
  }

  protected write(s: HistogramSeries): string {
    const buckets = { boundaries: this.spec.boundaries, counts: s.counts };
    return histogramLines(this.name, s.labels, { count: s.count, sum: s.sum, buckets });
  }
}

interface SumSeries extends Series {
  value: number;
}

/** Monotonic counters (`_total`). */
export class HotCounter extends Family<SumSeries> {
  constructor(spec: FamilySpec) {
    super(spec, 'counter');
  }

  add(n: number, attrs: Attributes): void {
    // As the SDK, a counter does not go down; nor does it turn NaN here (the SDK's would).
    if (!(n >= 0)) return;
    const s = this.series(attrs);
    s.value += n;
    this.moved(s);
  }

  protected create(labels: string): SumSeries {
    return { labels, text: undefined, value: 0 };
  }

  protected write(s: SumSeries): string {
    return line(this.name, s.labels, s.value);
  }
}

/** The first bucket whose bound is ≥ value (the last bucket, +Inf, when none is). */
export function bucketOf(boundaries: readonly number[], value: number): number {
  let lo = 0;
  let hi = boundaries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (boundaries[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

type Label = string | number | undefined;
type Child = Map<Label, unknown>;

function child(parent: Child, key: Label): Child {
  let next = parent.get(key) as Child | undefined;
  if (next === undefined) parent.set(key, (next = new Map()));
  return next;
}

/**
 * One frozen attribute object per tuple of label values, found by the values themselves in nested
 * Maps: no key string is built and no closure made per record. The five records of a cached
 * keyword search went from ~850 to ~220 ns of CPU in-process (a tight loop, 200,000 searches).
 * Route templates, methods and the like are the same string objects on every call, so each level
 * is one Map lookup. Every value must come from a bounded set; the memo is then bounded too.
 * Unused places are `undefined`.
 */
export class AttrsMemo<
  A extends Label,
  B extends Label = undefined,
  C extends Label = undefined,
  D extends Label = undefined,
> {
  private readonly root: Child = new Map();

  constructor(private readonly make: (a: A, b: B, c: C, d: D) => Attributes) {}

  get(a: A, b: B, c: C, d: D): Attributes {
    const last = child(child(child(this.root, a), b), c);
    let attrs = last.get(d) as Attributes | undefined;
    if (attrs === undefined) last.set(d, (attrs = Object.freeze(this.make(a, b, c, d))));
    return attrs;
  }
}
