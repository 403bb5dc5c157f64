// FLAGS_URL and --to: strict parsing, and a password that never reaches a message.
import { describe, expect, it } from 'vitest';
import { locationOf, parsePostgresUrl, redactUrl, urlPassword } from '../../src/flags/flags-url.js';
import { loadConfig, ConfigError, secretValues } from '../../src/shared/config.js';

describe('flag store URLs', () => {
  it.each([
    ['postgres://u:p@db:5432/flags', true],
    ['postgresql://db/flags', true],
    ['postgres://u:p@db:5432/', false], // no database
    ['postgres://u:p@db/a/b', false],
    ['mysql://db/flags', false],
    ['http://db/flags', false],
    ['postgres://db/flags#x', false],
    ['not a url', false],
  ])('%s → %s', (raw, ok) => {
    expect(parsePostgresUrl(raw).ok).toBe(ok);
  });

  it('redacts the password, keeps everything else', () => {
    expect(redactUrl('postgres://canary:s3cr%40t@db:5432/flags?sslmode=require')).toBe(
      'postgres://canary:***@db:5432/flags?sslmode=require',
    );
    expect(redactUrl('postgres://db/flags')).toBe('postgres://db/flags');
    expect(redactUrl('::::')).toBe('(an unparsable URL)');
    expect(urlPassword('postgres://canary:s3cr%40t@db/flags')).toBe('s3cr@t');
  });

  it('tells a URL from a file path for --to', () => {
    expect(locationOf('data/flags.json')).toEqual({ kind: 'file', path: 'data/flags.json' });
    expect(locationOf('postgres://db/flags')).toEqual({
      kind: 'postgres',
      url: 'postgres://db/flags',
    });
    const bad = locationOf('mysql://u:hunter2@db/flags');
    expect(bad.kind).toBe('error');
    expect(JSON.stringify(bad)).not.toContain('hunter2');
  });

  it('config: FLAGS_URL, FLAGS_STALE_AFTER and FLAGS_STALE_POLICY are parsed strictly, secrets kept out', () => {
    const c = loadConfig({ FLAGS_URL: 'postgres://canary:hunter2@db/flags' }, '/tmp');
    expect(c.flagsUrl).toBe('postgres://canary:hunter2@db/flags');
    expect(c.flagsStaleAfterMs).toBe(30_000);
    expect(c.flagsStalePolicy).toBe('off');
    expect(secretValues(c)).toContain('hunter2');
    const bad = () =>
      loadConfig(
        {
          FLAGS_URL: 'mysql://canary:hunter2@db/flags',
          FLAGS_STALE_AFTER: '30',
          FLAGS_STALE_POLICY: 'maybe',
        },
        '/tmp',
      );
    expect(bad).toThrow(ConfigError);
    const message = (() => {
      try {
        bad();
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(message).not.toContain('hunter2');
    expect(message).toContain('FLAGS_URL="mysql://canary:***@db/flags" is not valid');
    expect(message).toContain(
      'FLAGS_STALE_AFTER="30" is not valid: expected a duration from 1s to 1d',
    );
    expect(message).toContain('FLAGS_STALE_POLICY="maybe" is not valid: expected one of keep, off');
    expect(
      loadConfig({ FLAGS_STALE_AFTER: '2m', FLAGS_STALE_POLICY: 'keep' }, '/tmp'),
    ).toMatchObject({
      flagsStaleAfterMs: 120_000,
      flagsStalePolicy: 'keep',
    });
  });
});
