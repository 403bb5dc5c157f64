// The flag-admin bearer token check. Both sides are hashed first so timingSafeEqual always compares
// equal lengths, and neither the token's content nor its length leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';

export type AdminAuth =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string };

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function checkAdminToken(
  configured: string | undefined,
  header: string | undefined,
): AdminAuth {
  if (!configured) {
    return {
      ok: false,
      status: 403,
      reason: 'flag writes over HTTP are off: FLAG_ADMIN_TOKEN is not set on the service',
    };
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) {
    return {
      ok: false,
      status: 401,
      reason: 'missing bearer token: send Authorization: Bearer <FLAG_ADMIN_TOKEN>',
    };
  }
  const given = match[1] as string;
  if (!timingSafeEqual(digest(given), digest(configured))) {
    return {
      ok: false,
      status: 401,
      reason: 'the bearer token is not the configured FLAG_ADMIN_TOKEN',
    };
  }
  return { ok: true };
}
