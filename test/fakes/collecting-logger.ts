// A real pino logger whose lines are kept in memory, so tests can assert what a person would read.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/shared/logger.js';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [k: string]: unknown;
}

export function collectingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n'))
        if (l.trim()) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return { logger: createLogger({ name: 'test', level: 'debug', destination }), lines };
}

export const LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;
