import { describe, expect, it } from 'vitest';
import { mergeNpmConfig, parseUpdate } from '../../src/flags/cli-input.js';
import { UsageError } from '../../src/shared/usage-error.js';

const env = { USER: 'bob' };

describe('flags update input', () => {
  it.each([
    [
      'npm 11: --flag arrives as an argument, --value=false as an empty string',
      { fromNpmConfig: true },
      'ai-search-enabled',
      { npm_config_value: '', npm_config_percentage: undefined },
      { flag: 'ai-search-enabled', value: false },
    ],
    [
      'older npm: everything in npm_config_*',
      { fromNpmConfig: true },
      undefined,
      {
        npm_config_flag: 'ai-search-enabled',
        npm_config_value: 'true',
        npm_config_percentage: '1',
        npm_config_segment: 'internal-users',
      },
      { flag: 'ai-search-enabled', value: true, percentage: 1, segment: 'internal-users' },
    ],
    [
      'command-line options win over npm variables',
      { fromNpmConfig: true, percentage: '25' },
      'ai-search-enabled',
      { npm_config_percentage: '10' },
      { flag: 'ai-search-enabled', percentage: 25 },
    ],
    [
      'npm variables are ignored without --from-npm-config',
      { flag: 'ai-search-enabled', value: 'true' },
      undefined,
      { npm_config_percentage: '10' },
      { flag: 'ai-search-enabled', value: true },
    ],
  ])('%s', (_name, raw, positional, npmEnv, change) => {
    const merged = mergeNpmConfig(raw, positional, { ...env, ...npmEnv });
    expect(parseUpdate(merged, env).change).toEqual(change);
  });

  it.each([
    [
      { flag: 'f', percentage: '101' },
      /--percentage "101" is not valid: expected a whole number from 0 to 100/,
    ],
    [{ flag: 'f', percentage: 'abc' }, /--percentage "abc" is not valid/],
    [{ flag: 'f', percentage: '-1' }, /--percentage "-1" is not valid/],
    [{ flag: 'f', value: 'maybe' }, /--value "maybe" is not valid: expected true or false/],
    [
      { flag: 'f', percentage: '5', segment: 'vip' },
      /--segment "vip" is not valid: expected internal-users or beta-users/,
    ],
    [
      { flag: 'f', value: 'true', segment: 'beta-users' },
      /--segment beta-users needs --percentage/,
    ],
    [{ flag: 'f' }, /nothing to change/],
    [{ value: 'true' }, /which flag\?/],
  ])('refuses %o as bad usage', (raw, message) => {
    expect(() => parseUpdate(raw, env)).toThrow(UsageError);
    expect(() => parseUpdate(raw, env)).toThrow(message);
  });

  it('refuses two different flag names', () => {
    expect(() => mergeNpmConfig({ flag: 'a' }, 'b', env)).toThrow(/two flag names/);
  });

  it('takes the actor from --actor, else $USER, and fills a missing reason', () => {
    expect(parseUpdate({ flag: 'f', value: 'false', actor: 'carol' }, env).meta).toEqual({
      actor: 'carol',
      reason: '(no reason given)',
    });
    expect(parseUpdate({ flag: 'f', value: 'false', reason: 'spike' }, env).meta).toEqual({
      actor: 'bob',
      reason: 'spike',
    });
  });
});
