// The failed-LLM-call WARN is one line per provider, model and error type per interval, with the
// count of the calls it stands for: what a person needs during an outage, not one line per call.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/shared/clock.js';
import { LLM_FAILURE_LOG_INTERVAL_MS, LlmFailureLog } from '../../src/search/llm/failure-log.js';
import { collectingLogger, LEVEL } from '../fakes/collecting-logger.js';

const failure = (
  errorType: string,
  provider = 'openai',
  next: string | undefined = 'anthropic',
) => ({
  provider,
  model: 'gpt-4o-mini',
  errorType,
  durationMs: 12,
  problem: 'HTTP 500',
  next,
});

describe('LlmFailureLog', () => {
  it('writes the first failure at once, then one line per interval carrying the count', async () => {
    const clock = new FakeClock(1_000_000);
    const { logger, lines } = collectingLogger();
    const log = new LlmFailureLog(clock, logger);
    // 30% of 40 searches/s for 40 s: about 480 failed calls.
    for (let k = 0; k < 480; k++) {
      log.note(failure('http_error'));
      await clock.advance(40_000 / 480);
    }
    log.note(failure('http_error'));
    const warns = lines.filter((l) => l.level === LEVEL.warn);
    expect(warns.length).toBe(40_000 / LLM_FAILURE_LOG_INTERVAL_MS + 1);
    expect(warns[0]).toMatchObject({
      msg: 'LLM call to openai failed (http_error); trying anthropic next',
      similarSinceLastLine: 0,
      provider: 'openai',
      problem: 'HTTP 500',
    });
    // Every call is accounted for: the lines plus the calls they stand for.
    const counted = warns.reduce((n, l) => n + 1 + (l.similarSinceLastLine as number), 0);
    expect(counted).toBe(481);
    expect(warns[1]!.msg).toMatch(
      /^LLM call to openai failed \(http_error\); trying anthropic next \(\d+ more failed the same way since the last such line 10 s ago\)$/,
    );
  });

  it('keeps different providers and error types apart', () => {
    const clock = new FakeClock(0);
    const { logger, lines } = collectingLogger();
    const log = new LlmFailureLog(clock, logger);
    log.note(failure('http_error'));
    log.note(failure('timeout'));
    log.note({ ...failure('http_error', 'anthropic'), next: undefined });
    log.note(failure('http_error'));
    expect(lines.map((l) => l.msg)).toEqual([
      'LLM call to openai failed (http_error); trying anthropic next',
      'LLM call to openai failed (timeout); trying anthropic next',
      'LLM call to anthropic failed (http_error); no provider left, the search falls back to keyword search',
    ]);
  });
});
