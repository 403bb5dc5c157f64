// Where the flags live, as one closed union: the flag file (no FLAGS_URL, as before) or a
// PostgreSQL database (FLAGS_URL=postgres://…). A database URL carries its password, so every
// message that names the store uses `redactUrl`, and the password is handed to the logger's
// scrubber as a secret (secretValues in src/shared/config.ts).
import type { Parsed } from '../shared/env-parse.js';

export type FlagsLocation =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string };

export const POSTGRES_URL_EXPECTED =
  'a postgres:// or postgresql:// URL with a host and a database, e.g. postgres://canary:PASSWORD@db.internal:5432/canary';

/** Strict: the scheme, a host and one database name; anything else is refused, never guessed. */
export function parsePostgresUrl(raw: string): Parsed<string> {
  const v = raw.trim();
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return { ok: false, expected: POSTGRES_URL_EXPECTED };
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  const ok =
    (u.protocol === 'postgres:' || u.protocol === 'postgresql:') &&
    u.hostname !== '' &&
    database !== '' &&
    !database.includes('/') &&
    u.hash === '';
  return ok ? { ok: true, value: v } : { ok: false, expected: POSTGRES_URL_EXPECTED };
}

/** The URL with its password replaced by `***`: safe for logs, errors and CLI output. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password === '') return url;
    u.password = '***';
    return u.toString();
  } catch {
    // Not a URL at all: say nothing of what it contained.
    return '(an unparsable URL)';
  }
}

/** The password of a database URL (decoded), for the logger's list of secrets; else undefined. */
export function urlPassword(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p === '' ? undefined : decodeURIComponent(p);
  } catch {
    return undefined;
  }
}

/** A `--to` or `--flags-url` argument: a postgres URL, else a file path. */
export function locationOf(target: string): FlagsLocation | { kind: 'error'; error: string } {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    const parsed = parsePostgresUrl(target);
    return parsed.ok
      ? { kind: 'postgres', url: parsed.value }
      : {
          kind: 'error',
          error: `${redactUrl(target)} is not a flag store: expected ${parsed.expected}, or a file path`,
        };
  }
  return { kind: 'file', path: target };
}

/** How a store is named in messages: the file's path, or the URL without its password. */
export function describeLocation(loc: FlagsLocation): string {
  return loc.kind === 'file' ? loc.path : redactUrl(loc.url);
}
