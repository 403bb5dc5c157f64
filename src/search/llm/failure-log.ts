// The WARN for failed LLM calls, one line per provider, model and error type per interval instead
// of one per call, with how many more failed the same way since the previous line. At 30% provider
// errors the per-call line came 472 times in 40 s and buried everything else in the log; the
// metrics (gen_ai_client_operation_duration_count{error_type}) keep the exact counts.
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';

/** At most one line per provider, model and error type this often. */
export const LLM_FAILURE_LOG_INTERVAL_MS = 10_000;

export interface LlmFailure {
  readonly provider: string;
  readonly model: string;
  readonly errorType: string;
  readonly durationMs: number;
  readonly problem: string | undefined;
  /** The provider tried next; undefined when the search falls back to keyword search. */
  readonly next: string | undefined;
}

export class LlmFailureLog {
  private readonly last = new Map<string, { at: number; similar: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly intervalMs = LLM_FAILURE_LOG_INTERVAL_MS,
  ) {}

  note(f: LlmFailure): void {
    const key = `${f.provider}\u0000${f.model}\u0000${f.errorType}`;
    const now = this.clock.now();
    const last = this.last.get(key);
    if (last && now - last.at < this.intervalMs) {
      last.similar += 1;
      return;
    }
    const similar = last?.similar ?? 0;
    this.last.set(key, { at: now, similar: 0 });
    const then = f.next
      ? `trying ${f.next} next`
      : 'no provider left, the search falls back to keyword search';
    const more =
      similar > 0
        ? ` (${similar} more failed the same way since the last such line ${Math.round((now - last!.at) / 1000)} s ago)`
        : '';
    const { provider, model, errorType, durationMs, problem } = f;
    this.logger.warn(
      { provider, model, errorType, durationMs, problem, similarSinceLastLine: similar },
      `LLM call to ${provider} failed (${errorType}); ${then}${more}`,
    );
  }
}
