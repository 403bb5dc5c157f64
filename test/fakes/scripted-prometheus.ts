// A PrometheusClient whose answers the test scripts per expression; it records every query.
import type {
  KnownSeriesResult,
  PrometheusClient,
  QueryManyOptions,
  QueryOutcome,
} from '../../src/canary/prometheus/prometheus-client.js';
import type { Sample } from '../../src/canary/types.js';

export class ScriptedPrometheus implements PrometheusClient {
  readonly url = 'http://scripted-prometheus';
  readonly queries: { expr: string; at: number }[] = [];
  private answers = new Map<string, QueryOutcome>();
  /** When set, every query answers this (Prometheus down). */
  outage: QueryOutcome | undefined;
  missing: string[] = [];
  /** Absent series whose recording rules Prometheus runs (expected absences). */
  awaitingData: string[] = [];
  /** Resolves queries only when released (to hold an evaluation open). */
  gate: Promise<void> | undefined;
  private held = new Map<string, Promise<void>>();

  /** Holds the answer to one expression until the returned function is called (a slow query). */
  hold(expr: string): () => void {
    let release = () => {};
    this.held.set(expr, new Promise<void>((r) => (release = r)));
    return () => {
      this.held.delete(expr);
      release();
    };
  }

  /** Scripts any outcome for one expression (a timeout, a refusal…). */
  outcome(expr: string, outcome: QueryOutcome): void {
    this.answers.set(expr, outcome);
  }
  samples(expr: string, samples: Sample[]): void {
    this.answers.set(expr, { ok: true, samples });
  }
  value(expr: string, value: number | undefined, labels: Record<string, string> = {}): void {
    this.samples(expr, value === undefined ? [] : [{ labels, value }]);
  }
  async query(expr: string, at: number): Promise<QueryOutcome> {
    this.queries.push({ expr, at });
    if (this.gate) await this.gate;
    await this.held.get(expr);
    if (this.outage) return this.outage;
    return this.answers.get(expr) ?? { ok: true, samples: [] };
  }
  /** Each queryMany call: its expressions and time budget. */
  readonly rounds: { exprs: readonly string[]; budgetMs?: number }[] = [];
  queryMany(
    exprs: readonly string[],
    at: number,
    options: QueryManyOptions = {},
  ): Promise<QueryOutcome[]> {
    this.rounds.push({ exprs, budgetMs: options.budgetMs });
    return Promise.all(exprs.map((e) => this.query(e, at)));
  }
  close(): void {}
  async knownSeries(): Promise<KnownSeriesResult> {
    if (this.outage && !this.outage.ok) return this.outage;
    return { ok: true, missing: this.missing, awaitingData: this.awaitingData };
  }
}

export const DOWN: QueryOutcome = {
  ok: false,
  kind: 'error',
  cause: 'unreachable',
  error: 'http://scripted-prometheus/api/v1/query refused the connection',
};
