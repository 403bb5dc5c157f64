import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, makeScrubber } from '../../src/shared/logger.js';

function collector() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, stream };
}

const KEY = 'sk-proj-abcdef1234567890';

describe('logger', () => {
  it('never writes a configured secret, wherever it appears', () => {
    const { lines, stream } = collector();
    const log = createLogger({ name: 't', level: 'info', secrets: [KEY], destination: stream });
    log.info({ apiKey: KEY }, 'configured');
    log.info({ provider: { apiKey: KEY } }, 'nested');
    log.error({ err: new Error(`401 Incorrect API key provided: ${KEY}`) }, 'provider failed');
    log.warn(`calling with ${KEY}`);
    log.info({ req: { headers: { authorization: `Bearer ${KEY}` } } }, 'request');
    const out = lines.join('');
    expect(lines).toHaveLength(5);
    expect(out).not.toContain(KEY);
    expect(out).toContain('[REDACTED]');
  });

  it('takes its level from the configuration', () => {
    const { lines, stream } = collector();
    const log = createLogger({ name: 't', level: 'warn', destination: stream });
    log.info('hidden');
    log.warn('shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, msg: 'shown', name: 't' });
  });

  it('scrubs JSON-escaped forms of a secret too', () => {
    const scrub = makeScrubber(['a"b\\c-secret']);
    expect(scrub(JSON.stringify({ m: 'x a"b\\c-secret y' }))).toBe('{"m":"x [REDACTED] y"}');
  });
});
