// Pieces of the daemon's HTTP surface that decide safety: who may reload, and HTML escaping.
import { describe, expect, it } from 'vitest';
import { isLoopback, tokenMatches } from '../../src/canary/http/http-server.js';
import { escapeHtml } from '../../src/canary/http/status-page.js';

describe('reload authorization', () => {
  it.each([
    ['Bearer s3cret-token', true],
    ['bearer s3cret-token', true],
    ['Bearer s3cret-token ', true],
    ['Bearer s3cret-tokem', false],
    ['Bearer s3cret', false],
    ['s3cret-token', false],
    ['Basic s3cret-token', false],
    [undefined, false],
  ])('%s → %s', (header, ok) => {
    expect(tokenMatches('s3cret-token', header)).toBe(ok);
  });

  it.each([
    ['127.0.0.1', true],
    ['127.0.0.5', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.7', false],
    ['::ffff:10.0.0.7', false],
    [undefined, false],
  ])('loopback(%s) → %s', (addr, ok) => {
    expect(isLoopback(addr)).toBe(ok);
  });
});

describe('escapeHtml', () => {
  it('escapes every character that could open markup or an attribute', () => {
    expect(escapeHtml(`<img src=x onerror="a('b')">&`)).toBe(
      '&#60;img src=x onerror=&#34;a(&#39;b&#39;)&#34;&#62;&#38;',
    );
  });
});
