// pino, set up once per program. Secrets are kept out of the output twice over: known key paths
// are redacted, and every line is scrubbed of the configured secret values before it is written,
// so a key quoted inside an SDK error message is still never logged.
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers["x-api-key"]',
  '*.headers.authorization',
];

export interface LoggerOptions {
  readonly name: string;
  readonly level: LogLevel;
  /** Values that must never appear in the output (API keys, admin tokens). */
  readonly secrets?: readonly string[];
  /** Where lines go; standard output by default. Tests pass a collecting stream. */
  readonly destination?: DestinationStream;
}

/** Replaces every occurrence of each secret (and of its JSON-escaped form) with [REDACTED]. */
export function makeScrubber(secrets: readonly string[]): (line: string) => string {
  const needles = [...new Set(secrets.filter((s) => s.length >= 4))]
    .flatMap((s) => [s, JSON.stringify(s).slice(1, -1)])
    .sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const n of needles) if (out.includes(n)) out = out.split(n).join('[REDACTED]');
    return out;
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const scrub = makeScrubber(options.secrets ?? []);
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: { streamWrite: scrub },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
