// How every command reaches a Prometheus-compatible query API (Prometheus, VictoriaMetrics, Thanos
// Query, Mimir/Cortex): the base URL, path prefix included (`http://mimir/prometheus` is queried at
// `/prometheus/api/v1/query`), extra headers (`X-Scope-OrgID` for a Mimir tenant) and bearer or
// basic auth. Parsed once, strictly, at the edge; the clients only add `requestHeaders(access)`.
// Secrets come from a file or the environment, never from the command line (which `ps` and shell
// history show), and only `describeAccess` (no secret in it) may reach a log or an API answer.
// The daemon's Alertmanager (Mimir's sits behind the same gateway) is reached the same way, with
// its own option names (ALERTMANAGER_NAMES) in every message.
import { readFileSync } from 'node:fs';
import type { Config } from './config.js';

export type PrometheusAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'bearer'; readonly token: string; readonly from: string }
  | {
      readonly kind: 'basic';
      readonly user: string;
      readonly password: string;
      readonly from: string;
    };

export interface PrometheusAccess {
  /** Base URL with its path prefix, no trailing slash; the clients append `/api/v1/…`. */
  readonly url: string;
  /** Extra request headers, names as given. */
  readonly headers: readonly (readonly [string, string])[];
  readonly auth: PrometheusAuth;
}

/** What the command line gave (raw), and where the URL came from (for messages). */
export interface AccessInput {
  readonly url: string;
  readonly urlFrom: string;
  readonly headers?: readonly string[];
  readonly bearerTokenFile?: string;
  readonly basicAuthUser?: string;
  readonly basicAuthPasswordFile?: string;
}

/** The environment's share (PROMETHEUS_ or ALERTMANAGER_ BEARER_TOKEN, BASIC_AUTH_USER/_PASSWORD). */
export interface AccessEnv {
  readonly bearerToken?: string;
  readonly basicAuthUser?: string;
  readonly basicAuthPassword?: string;
}

export type AccessResult =
  | { readonly ok: true; readonly access: PrometheusAccess }
  | { readonly ok: false; readonly problems: readonly string[] };

export const MAX_HEADERS = 32;
const MAX_HEADER_VALUE = 4096;
const MAX_SECRET = 16 * 1024;
/** RFC 9110 token characters. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Set by the HTTP client itself: a second value would corrupt the request. */
const CLIENT_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);
/** The option and variable names of one destination, for messages that say what to use. */
export interface AccessNames {
  readonly url: string;
  readonly header: string;
  readonly bearerFile: string;
  readonly bearerEnv: string;
  readonly user: string;
  readonly userEnv: string;
  readonly passwordFile: string;
  readonly passwordEnv: string;
}

const namesFor = (what: 'prometheus' | 'alertmanager'): AccessNames => ({
  url: `--${what}-url`,
  header: `--${what}-header`,
  bearerFile: `--${what}-bearer-token-file`,
  bearerEnv: `${what.toUpperCase()}_BEARER_TOKEN`,
  user: `--${what}-basic-auth-user`,
  userEnv: `${what.toUpperCase()}_BASIC_AUTH_USER`,
  passwordFile: `--${what}-basic-auth-password-file`,
  passwordEnv: `${what.toUpperCase()}_BASIC_AUTH_PASSWORD`,
});
/** The metrics backend (the default everywhere). */
export const PROMETHEUS_NAMES = namesFor('prometheus');
/** The daemon's Alertmanager (Mimir's sits behind the same tenant header and auth). */
export const ALERTMANAGER_NAMES = namesFor('alertmanager');

const authOptions = (n: AccessNames) =>
  `${n.bearerFile} (or ${n.bearerEnv}) or ${n.user} with ${n.passwordFile} (or ${n.passwordEnv})`;

export type ParsedHeader = { ok: true; name: string; value: string } | { ok: false; error: string };

/** One `--prometheus-header 'Name: value'` (or `--alertmanager-header`). */
export function parseHeaderArg(raw: string, names: AccessNames = PROMETHEUS_NAMES): ParsedHeader {
  const colon = raw.indexOf(':');
  if (colon <= 0)
    return { ok: false, error: `expected 'Name: value' (e.g. 'X-Scope-OrgID: tenant-1')` };
  const name = raw.slice(0, colon);
  const value = raw.slice(colon + 1).trim();
  if (!HEADER_NAME.test(name))
    return {
      ok: false,
      error: `header name ${JSON.stringify(name)} is not an HTTP token (letters, digits, - and no spaces)`,
    };
  const lower = name.toLowerCase();
  if (lower === 'authorization')
    return {
      ok: false,
      error: `do not pass credentials as a header (it would show in ps and logs): use ${authOptions(names)}`,
    };
  if (CLIENT_HEADERS.has(lower))
    return {
      ok: false,
      error: `${name} is set by the HTTP client itself and cannot be overridden`,
    };
  if (value === '') return { ok: false, error: `header ${name} has an empty value` };
  if (CONTROL.test(value))
    return { ok: false, error: `header ${name}'s value holds a control character (newline?)` };
  if (value.length > MAX_HEADER_VALUE)
    return {
      ok: false,
      error: `header ${name}'s value is longer than ${MAX_HEADER_VALUE} characters`,
    };
  return { ok: true, name, value };
}

/** Checks the base URL: http(s), no inline credentials, no query or fragment, not an API path. */
export function checkBaseUrl(
  raw: string,
  from: string,
  names: AccessNames = PROMETHEUS_NAMES,
): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `${from}: ${JSON.stringify(raw)} is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return `${from}: expected an http:// or https:// URL`;
  if (u.username !== '' || u.password !== '')
    return `${from} holds credentials (user:password@): remove them and use ${authOptions(names)}, so the password stays out of ps, logs and the status page`;
  if (u.search !== '' || u.hash !== '')
    return `${from}: give the base URL (with its path prefix, e.g. http://mimir:8080/prometheus) without ?query or #fragment`;
  if (/\/api\/v1(\/|$)/.test(u.pathname))
    return `${from}: give the base URL, not an API path: the client appends /api/v1/… itself (e.g. http://mimir:8080/prometheus, not …/prometheus/api/v1/query)`;
  return undefined;
}

type ReadFile = (file: string) => string;
const readText: ReadFile = (file) => readFileSync(file, 'utf8');

/** A secret from a file: one trailing newline dropped, nothing else changed; bounded. */
function secretFromFile(
  file: string,
  option: string,
  read: ReadFile,
): { ok: true; value: string } | { ok: false; error: string } {
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { ok: false, error: `${option} ${file}: cannot read it (${code})` };
  }
  return checkSecret(text.replace(/\r?\n$/, ''), `${option} ${file}`);
}

function checkSecret(
  value: string,
  where: string,
): { ok: true; value: string } | { ok: false; error: string } {
  if (value === '') return { ok: false, error: `${where} is empty` };
  if (value.length > MAX_SECRET)
    return { ok: false, error: `${where} is longer than ${MAX_SECRET} characters` };
  // Never echo the value: it is a secret.
  if (CONTROL.test(value))
    return { ok: false, error: `${where} holds a control character (more than one line?)` };
  return { ok: true, value };
}

function resolveAuth(
  input: AccessInput,
  env: AccessEnv,
  read: ReadFile,
  problems: string[],
  n: AccessNames,
): PrometheusAuth {
  const bearerFrom = input.bearerTokenFile
    ? n.bearerFile
    : env.bearerToken
      ? n.bearerEnv
      : undefined;
  const user = input.basicAuthUser ?? env.basicAuthUser;
  const userFrom = input.basicAuthUser ? n.user : n.userEnv;
  const passwordFrom = input.basicAuthPasswordFile
    ? n.passwordFile
    : env.basicAuthPassword
      ? n.passwordEnv
      : undefined;
  const basic = user !== undefined || passwordFrom !== undefined;
  if (bearerFrom && basic) {
    const basicFrom = user !== undefined ? userFrom : passwordFrom!;
    problems.push(`both bearer (${bearerFrom}) and basic auth (${basicFrom}) are given: use one`);
    return { kind: 'none' };
  }
  if (bearerFrom) {
    const token = input.bearerTokenFile
      ? secretFromFile(input.bearerTokenFile, bearerFrom, read)
      : checkSecret(env.bearerToken!, bearerFrom);
    if (!token.ok) problems.push(token.error);
    else if (/\s/.test(token.value))
      problems.push(`${bearerFrom} holds whitespace: a bearer token has none`);
    else return { kind: 'bearer', token: token.value, from: bearerFrom };
    return { kind: 'none' };
  }
  if (!basic) return { kind: 'none' };
  if (user === undefined) {
    problems.push(`${passwordFrom} is given without a user: add ${n.user} (or ${n.userEnv})`);
    return { kind: 'none' };
  }
  if (passwordFrom === undefined) {
    problems.push(
      `${userFrom} is given without a password: add ${n.passwordFile} (or ${n.passwordEnv})`,
    );
    return { kind: 'none' };
  }
  if (user === '' || user.includes(':') || CONTROL.test(user)) {
    problems.push(
      `${userFrom}: a basic-auth user is not empty and holds no ':' nor control character`,
    );
    return { kind: 'none' };
  }
  const password = input.basicAuthPasswordFile
    ? secretFromFile(input.basicAuthPasswordFile, passwordFrom, read)
    : checkSecret(env.basicAuthPassword!, passwordFrom);
  if (!password.ok) {
    problems.push(password.error);
    return { kind: 'none' };
  }
  return { kind: 'basic', user, password: password.value, from: `${userFrom} + ${passwordFrom}` };
}

/** Everything checked, every problem reported at once. */
export function resolvePrometheusAccess(
  input: AccessInput,
  env: AccessEnv = {},
  read: ReadFile = readText,
  n: AccessNames = PROMETHEUS_NAMES,
): AccessResult {
  const problems: string[] = [];
  const urlProblem = checkBaseUrl(input.url, input.urlFrom, n);
  if (urlProblem) problems.push(urlProblem);
  const headers: [string, string][] = [];
  const raw = input.headers ?? [];
  if (raw.length > MAX_HEADERS) problems.push(`at most ${MAX_HEADERS} ${n.header}`);
  for (const h of raw.slice(0, MAX_HEADERS)) {
    const p = parseHeaderArg(h, n);
    if (!p.ok) problems.push(`${n.header}: ${p.error}`);
    else if (headers.some(([n]) => n.toLowerCase() === p.name.toLowerCase()))
      problems.push(`${n.header}: ${p.name} is given twice`);
    else headers.push([p.name, p.value]);
  }
  const auth = resolveAuth(input, env, read, problems, n);
  if (problems.length > 0) return { ok: false, problems };
  const url = input.url.replace(/\/+$/, '');
  return { ok: true, access: Object.freeze({ url, headers: Object.freeze(headers), auth }) };
}

/** The headers every request to the backend carries (auth included). */
export function requestHeaders(access: PrometheusAccess): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of access.headers) out[name] = value;
  if (access.auth.kind === 'bearer') out.Authorization = `Bearer ${access.auth.token}`;
  if (access.auth.kind === 'basic')
    out.Authorization = `Basic ${Buffer.from(`${access.auth.user}:${access.auth.password}`).toString('base64')}`;
  return out;
}

/** The secrets to scrub from log lines (the token, the password and the Authorization value). */
export function accessSecrets(access: PrometheusAccess): string[] {
  const auth = requestHeaders(access).Authorization;
  if (access.auth.kind === 'bearer') return [access.auth.token, auth!];
  if (access.auth.kind === 'basic') return [access.auth.password, auth!, auth!.slice(6)];
  return [];
}

/**
 * Removes the credentials in `headers` from a text (an error a backend answered may echo the
 * Authorization header it refused): what the clients apply to every error they return, so no
 * secret reaches a log line, the status page or /api through an error message.
 */
export function secretScrubber(
  headers: Readonly<Record<string, string>> = {},
): (text: string) => string {
  const auth = Object.entries(headers).find(([n]) => n.toLowerCase() === 'authorization')?.[1];
  if (auth === undefined) return (text) => text;
  const credential = auth.replace(/^\S+\s+/, '');
  const needles = [auth, credential];
  if (/^basic\s/i.test(auth)) {
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    needles.push(decoded, decoded.slice(decoded.indexOf(':') + 1));
  }
  const live = [...new Set(needles)]
    .filter((n) => n.length >= 4)
    .sort((a, b) => b.length - a.length);
  return (text) => live.reduce((t, n) => t.split(n).join('<redacted>'), text);
}

/** What may be shown (logs, /api): URL, header names (values may identify a tenant), auth kind. */
export interface AccessView {
  readonly url: string;
  readonly headers: readonly string[];
  readonly auth: PrometheusAuth['kind'];
}

export function describeAccess(access: PrometheusAccess): AccessView {
  return { url: access.url, headers: access.headers.map(([n]) => n), auth: access.auth.kind };
}

/** Access with nothing but a URL (tests, the local stack). */
export function plainAccess(url: string): PrometheusAccess {
  return { url: url.replace(/\/+$/, ''), headers: [], auth: { kind: 'none' } };
}

/** The command-line options of src/cli/commands/prometheus-options.ts. */
export interface PrometheusAccessCliOptions {
  prometheusUrl?: string;
  prometheusHeader?: string[];
  prometheusBearerTokenFile?: string;
  prometheusBasicAuthUser?: string;
  prometheusBasicAuthPasswordFile?: string;
}

/** The access the options and the environment describe; the URL defaults to PROMETHEUS_URL. */
export function accessFromOptions(
  o: PrometheusAccessCliOptions,
  config: Pick<Config, 'prometheusUrl' | 'prometheusAuth'>,
): AccessResult {
  return resolvePrometheusAccess(
    {
      url: o.prometheusUrl ?? config.prometheusUrl,
      urlFrom: o.prometheusUrl ? '--prometheus-url' : 'PROMETHEUS_URL',
      headers: o.prometheusHeader,
      bearerTokenFile: o.prometheusBearerTokenFile,
      basicAuthUser: o.prometheusBasicAuthUser,
      basicAuthPasswordFile: o.prometheusBasicAuthPasswordFile,
    },
    config.prometheusAuth,
  );
}

/** The daemon's Alertmanager options (`--alertmanager-header` and auth). */
export interface AlertmanagerAccessCliOptions {
  alertmanagerUrl?: string;
  alertmanagerHeader?: string[];
  alertmanagerBearerTokenFile?: string;
  alertmanagerBasicAuthUser?: string;
  alertmanagerBasicAuthPasswordFile?: string;
}

/**
 * The Alertmanager access, or undefined when no Alertmanager is set (webhooks then); headers or
 * auth given without an Alertmanager are a mistake and said so.
 */
export function alertmanagerAccessFromOptions(
  o: AlertmanagerAccessCliOptions,
  config: Pick<Config, 'alertmanagerUrl' | 'alertmanagerAuth'>,
): AccessResult | undefined {
  const url = o.alertmanagerUrl ?? config.alertmanagerUrl;
  if (url === undefined) {
    const given =
      (o.alertmanagerHeader?.length ?? 0) > 0 ||
      o.alertmanagerBearerTokenFile !== undefined ||
      o.alertmanagerBasicAuthUser !== undefined ||
      o.alertmanagerBasicAuthPasswordFile !== undefined;
    return given
      ? {
          ok: false,
          problems: [
            'Alertmanager headers or auth are given without --alertmanager-url (or ALERTMANAGER_URL)',
          ],
        }
      : undefined;
  }
  return resolvePrometheusAccess(
    {
      url,
      urlFrom: o.alertmanagerUrl ? '--alertmanager-url' : 'ALERTMANAGER_URL',
      headers: o.alertmanagerHeader,
      bearerTokenFile: o.alertmanagerBearerTokenFile,
      basicAuthUser: o.alertmanagerBasicAuthUser,
      basicAuthPasswordFile: o.alertmanagerBasicAuthPasswordFile,
    },
    config.alertmanagerAuth,
    readText,
    ALERTMANAGER_NAMES,
  );
}
