// The flag-admin bearer token check (constant-time comparison in src/shared/bearer-token.ts).
import { bearerToken, tokensEqual } from '../../shared/bearer-token.js';

export type AdminAuth =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 | 403; readonly reason: string };

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
  const given = bearerToken(header);
  if (given === undefined) {
    return {
      ok: false,
      status: 401,
      reason: 'missing bearer token: send Authorization: Bearer <FLAG_ADMIN_TOKEN>',
    };
  }
  if (!tokensEqual(given, configured)) {
    return {
      ok: false,
      status: 401,
      reason: 'the bearer token is not the configured FLAG_ADMIN_TOKEN',
    };
  }
  return { ok: true };
}
