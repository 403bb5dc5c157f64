// Why a request got no HTTP answer, in words an operator can act on. fetch() reports every network
// failure as "fetch failed" and keeps the reason in `cause` (a Node error code, or undici's own).
// Pure: the error and the URL in, one sentence out.

const CERTIFICATE = /^(CERT_|ERR_TLS_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT|UNABLE_TO_)/;

function codeOf(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  const own = (err as { code?: unknown } | undefined)?.code;
  return typeof own === 'string' ? own : undefined;
}

/** host:port of the URL, without user, password or path (paths of webhooks can hold secrets). */
export function originOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '<invalid url>';
  }
}

export function describeNetworkError(err: unknown, url: string, timeoutMs: number): string {
  const where = originOf(url);
  if ((err as Error | undefined)?.name === 'TimeoutError')
    return `no answer from ${where} within ${timeoutMs} ms`;
  const code = codeOf(err);
  switch (code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection: nothing listens there (is it running? is the URL right?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host ${where.replace(/:\d+$/, '')} not found: check the URL (or DNS)`;
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return `${where} closed the connection before answering`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `could not connect to ${where}: the connection timed out`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no network route to ${where}`;
  }
  if (code && CERTIFICATE.test(code))
    return `the TLS certificate of ${where} was not accepted (${code})`;
  const cause = (err as { cause?: { message?: unknown } } | undefined)?.cause;
  const detail =
    typeof cause?.message === 'string' ? cause.message : ((err as Error)?.message ?? String(err));
  return `cannot reach ${where}: ${detail}`;
}
