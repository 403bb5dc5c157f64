// Backend options are parsed strictly, once: each bad input gets a message that says what to do,
// and none of them echoes a secret.
import { describe, expect, it } from 'vitest';
import {
  accessSecrets,
  alertmanagerAccessFromOptions,
  describeAccess,
  parseHeaderArg,
  requestHeaders,
  resolvePrometheusAccess,
  secretScrubber,
  type AccessInput,
} from '../../src/shared/prometheus-access.js';

const files: Record<string, string> = {
  '/run/token': 'tok-abcdef123\n',
  '/run/pw': 'pw-secret-9\r\n',
  '/run/empty': '\n',
  '/run/two-lines': 'a\nb\n',
};
const read = (f: string) => {
  if (!(f in files)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return files[f]!;
};
const base: AccessInput = { url: 'http://mimir:8080/prometheus/', urlFrom: '--prometheus-url' };
const resolve = (o: Partial<AccessInput>, env = {}) =>
  resolvePrometheusAccess({ ...base, ...o }, env, read);

describe('--prometheus-header', () => {
  it.each([
    ['X-Scope-OrgID: tenant-1', { name: 'X-Scope-OrgID', value: 'tenant-1' }],
    ['X-Scope-OrgID:a|b', { name: 'X-Scope-OrgID', value: 'a|b' }],
    ['Thanos-Tenant:  t  ', { name: 'Thanos-Tenant', value: 't' }],
  ])('%j is read', (raw, want) => {
    expect(parseHeaderArg(raw)).toEqual({ ok: true, ...want });
  });
  it.each([
    ['X-Scope-OrgID', /expected 'Name: value'/],
    [': v', /expected 'Name: value'/],
    ['Bad Name: v', /not an HTTP token/],
    ['X-A:', /empty value/],
    ['X-A: a\r\nHost: b', /control character/],
    ['Host: x', /set by the HTTP client itself/],
    ['content-length: 1', /set by the HTTP client itself/],
    ['Transfer-Encoding: chunked', /set by the HTTP client itself/],
    ['authorization: Bearer x', /--prometheus-bearer-token-file/],
    [`X-A: ${'v'.repeat(5000)}`, /longer than 4096/],
  ])('%j is refused', (raw, message) => {
    const r = parseHeaderArg(raw);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(message);
  });
});

describe('resolvePrometheusAccess', () => {
  it('keeps the path prefix (no trailing slash), the headers and no auth', () => {
    const r = resolve({ headers: ['X-Scope-OrgID: t1'] });
    expect(r).toEqual({
      ok: true,
      access: {
        url: 'http://mimir:8080/prometheus',
        headers: [['X-Scope-OrgID', 't1']],
        auth: { kind: 'none' },
      },
    });
  });

  it('reads a bearer token from a file (one trailing newline dropped) or the environment', () => {
    const file = resolve({ bearerTokenFile: '/run/token' });
    expect(file.ok && requestHeaders(file.access)).toEqual({
      Authorization: 'Bearer tok-abcdef123',
    });
    const env = resolve({}, { bearerToken: 'tok-from-env' });
    expect(env.ok && env.access.auth).toMatchObject({
      kind: 'bearer',
      from: 'PROMETHEUS_BEARER_TOKEN',
    });
  });

  it('builds basic auth from a user and a password file or the environment', () => {
    const r = resolve({ basicAuthUser: 'reader', basicAuthPasswordFile: '/run/pw' });
    const want = `Basic ${Buffer.from('reader:pw-secret-9').toString('base64')}`;
    expect(r.ok && requestHeaders(r.access)).toEqual({ Authorization: want });
    const env = resolve({}, { basicAuthUser: 'reader', basicAuthPassword: 'pw-env-1' });
    expect(env.ok && env.access.auth).toMatchObject({ kind: 'basic', user: 'reader' });
  });

  it.each([
    [{ url: 'http://u:pw-inline-1@h/p' }, {}, /holds credentials.*--prometheus-basic-auth-user/],
    [{ url: 'http://h/p?tenant=1' }, {}, /without \?query/],
    [{ url: 'http://h/prometheus/api/v1/query' }, {}, /not an API path/],
    [{ url: 'ftp://h' }, {}, /http:\/\/ or https:\/\//],
    [
      { bearerTokenFile: '/run/token', basicAuthUser: 'u', basicAuthPasswordFile: '/run/pw' },
      {},
      /both bearer \(--prometheus-bearer-token-file\) and basic auth \(--prometheus-basic-auth-user\) are given: use one/,
    ],
    [
      { basicAuthUser: 'u' },
      { bearerToken: 'tok-env-2' },
      /both bearer \(PROMETHEUS_BEARER_TOKEN\)/,
    ],
    [{ basicAuthUser: 'u' }, {}, /without a password/],
    [{ basicAuthPasswordFile: '/run/pw' }, {}, /without a user/],
    [{ basicAuthUser: 'a:b', basicAuthPasswordFile: '/run/pw' }, {}, /holds no ':'/],
    [{ bearerTokenFile: '/run/missing' }, {}, /cannot read it \(ENOENT\)/],
    [{ bearerTokenFile: '/run/empty' }, {}, /is empty/],
    [{ bearerTokenFile: '/run/two-lines' }, {}, /control character \(more than one line\?\)/],
    [{}, { bearerToken: 'has space' }, /holds whitespace/],
    [{ headers: ['X-A: 1', 'x-a: 2'] }, {}, /x-a is given twice/],
    [{ headers: Array.from({ length: 33 }, (_, i) => `X-${i}: v`) }, {}, /at most 32/],
  ])('%j %j is refused', (input, env, message) => {
    const r = resolve(input, env);
    expect(r.ok).toBe(false);
    const text = !r.ok ? r.problems.join('\n') : '';
    expect(text).toMatch(message);
    for (const secret of ['pw-inline-1', 'tok-abcdef123', 'pw-secret-9', 'tok-env-2'])
      expect(text).not.toContain(secret);
  });

  it('reports every problem at once', () => {
    const r = resolve({ url: 'http://u:p@h', headers: ['Host: x'], basicAuthUser: 'u' });
    expect(!r.ok && r.problems).toHaveLength(3);
  });
});

describe('what may be shown', () => {
  const r = resolve({
    headers: ['X-Scope-OrgID: t1'],
    basicAuthUser: 'reader',
    basicAuthPasswordFile: '/run/pw',
  });
  if (!r.ok) throw new Error('setup');
  it('the view names the URL, the header names and the kind of auth, no value', () => {
    expect(describeAccess(r.access)).toEqual({
      url: 'http://mimir:8080/prometheus',
      headers: ['X-Scope-OrgID'],
      auth: 'basic',
    });
    expect(JSON.stringify(describeAccess(r.access))).not.toMatch(/pw-secret|t1/);
  });
  it('the logger scrubs the password and the header value built from it', () => {
    const auth = requestHeaders(r.access).Authorization!;
    expect(accessSecrets(r.access)).toEqual(expect.arrayContaining(['pw-secret-9', auth]));
  });
  it('errors lose the credentials a gateway echoes back, raw or decoded', () => {
    const headers = requestHeaders(r.access);
    const scrub = secretScrubber(headers);
    const b64 = headers.Authorization!.slice(6);
    expect(scrub(`401: got ${headers.Authorization}; ${b64}; reader:pw-secret-9`)).toBe(
      '401: got <redacted>; <redacted>; <redacted>',
    );
    expect(secretScrubber({})('nothing to hide')).toBe('nothing to hide');
  });
});

describe('the Alertmanager options', () => {
  const config = { alertmanagerUrl: undefined, alertmanagerAuth: {} };
  it('are nothing without an Alertmanager, and a mistake when given without one', () => {
    expect(alertmanagerAccessFromOptions({}, config)).toBeUndefined();
    const r = alertmanagerAccessFromOptions({ alertmanagerHeader: ['X-Scope-OrgID: t'] }, config);
    expect(r?.ok === false && r.problems).toEqual([
      'Alertmanager headers or auth are given without --alertmanager-url (or ALERTMANAGER_URL)',
    ]);
  });
  it('name their own options and variables in every message', () => {
    const r = alertmanagerAccessFromOptions(
      {
        alertmanagerUrl: 'http://u:p@mimir/alertmanager',
        alertmanagerHeader: ['Authorization: x'],
      },
      { alertmanagerUrl: undefined, alertmanagerAuth: { basicAuthUser: 'reader' } },
    );
    const text = r?.ok === false ? r.problems.join('\n') : '';
    expect(text).toMatch(/--alertmanager-url holds credentials/);
    expect(text).toMatch(/--alertmanager-header: do not pass credentials/);
    expect(text).toMatch(
      /ALERTMANAGER_BASIC_AUTH_USER is given without a password: add --alertmanager-basic-auth-password-file \(or ALERTMANAGER_BASIC_AUTH_PASSWORD\)/,
    );
    expect(text).not.toMatch(/prometheus/i);
  });
});
