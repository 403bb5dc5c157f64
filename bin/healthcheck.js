#!/usr/bin/env node
// The container health probe (Dockerfile HEALTHCHECK, docker-compose healthcheck): the slim image
// has no curl or wget, so Node's fetch asks each URL given and exits 0 when all answer 2xx, else 1
// (the two codes Docker reads). The one line it prints is what `docker inspect` shows as the
// probe's output, so it names the URL that failed and why.
//   node bin/healthcheck.js http://127.0.0.1:3000/healthz http://127.0.0.1:3000/readyz
const TIMEOUT_MS = 2500;
const urls = process.argv.slice(2);

if (urls.length === 0) {
  console.error('usage: node bin/healthcheck.js <url>... (every URL must answer 2xx)');
  process.exit(1);
}

async function probe(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    // The body says why a /readyz is 503 (its reasons never hold secrets or paths).
    const body = res.ok ? '' : (await res.text()).slice(0, 300);
    return { url, ok: res.ok, said: `${res.status}${body ? ` ${body}` : ''}` };
  } catch (err) {
    const cause = err?.cause?.code ?? err?.name ?? 'error';
    const what =
      cause === 'ECONNREFUSED'
        ? 'refused the connection (not listening yet?)'
        : cause === 'TimeoutError'
          ? `did not answer within ${TIMEOUT_MS} ms`
          : `${cause}: ${err?.cause?.message ?? err?.message}`;
    return { url, ok: false, said: what };
  }
}

const results = await Promise.all(urls.map(probe));
const failed = results.filter((r) => !r.ok);
console.log(
  failed.length === 0
    ? `healthy: ${results.map((r) => `${r.url} ${r.said}`).join(', ')}`
    : `unhealthy: ${failed.map((r) => `${r.url} ${r.said}`).join('; ')}`,
);
process.exit(failed.length === 0 ? 0 : 1);
