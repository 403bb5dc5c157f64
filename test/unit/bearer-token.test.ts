import { describe, expect, it } from 'vitest';
import { bearerToken, tokensEqual } from '../../src/shared/bearer-token.js';

describe('bearer tokens', () => {
  it.each([
    ['Bearer abc123', 'abc123'],
    ['bearer  abc123 ', 'abc123'],
    ['Basic abc123', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
  ])('reads %j as %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });

  it('matches only the same token, whatever the lengths', () => {
    expect(tokensEqual('s3cret-token', 's3cret-token')).toBe(true);
    expect(tokensEqual('s3cret-toke', 's3cret-token')).toBe(false);
    expect(tokensEqual('s3cret-token-and-more', 's3cret-token')).toBe(false);
    expect(tokensEqual('', 's3cret-token')).toBe(false);
  });
});
