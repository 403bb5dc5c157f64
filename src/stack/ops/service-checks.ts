// health-check, test:smoke and test:regression: the search service seen from outside.
import { describe, probe, type ProbeResult } from './http-probe.js';
import { fail, pass, unreachable, type CheckResult } from './verdict.js';

/** An HTTP answer judged by its status (and optionally its body). */
export function judgeStatus(
  name: string,
  r: ProbeResult,
  expected: number | 'ok',
  bodyCheck?: (body: unknown) => string | undefined,
): CheckResult {
  const target = expected === 'ok' ? 'HTTP 2xx' : `HTTP ${expected}`;
  if (r.status === undefined) return unreachable(name, describe(r), target);
  const statusOk = expected === 'ok' ? r.ok : r.status === expected;
  if (!statusOk) return fail(name, describe(r), target);
  const problem = bodyCheck?.(r.body);
  return problem
    ? fail(name, `${describe(r)}, ${problem}`, target)
    : pass(name, describe(r), target);
}

interface SearchBody {
  searchId?: unknown;
  mode?: unknown;
  results?: unknown;
}

export function searchBodyProblem(body: unknown): string | undefined {
  const b = (typeof body === 'object' && body !== null ? body : {}) as SearchBody;
  if (typeof b.searchId !== 'string') return 'no searchId in the answer';
  if (b.mode !== 'ai' && b.mode !== 'keyword') return `mode is ${JSON.stringify(b.mode)}`;
  if (!Array.isArray(b.results)) return 'no results list in the answer';
  return undefined;
}

const search = (base: string, q: string, user = 'u-000042') =>
  probe(`${base}/api/search?q=${encodeURIComponent(q)}&limit=5`, {
    headers: { 'x-user-id': user },
  });

export async function healthChecks(base: string): Promise<CheckResult[]> {
  const [live, ready] = await Promise.all([probe(`${base}/healthz`), probe(`${base}/readyz`)]);
  return [
    judgeStatus('service answers (/healthz)', live, 200),
    judgeStatus('service ready (/readyz)', ready, 200),
  ];
}

const noReply = (results: readonly CheckResult[]) =>
  results.some((r) => r.outcome === 'unreachable');

export async function smokeChecks(base: string): Promise<CheckResult[]> {
  const out = await healthChecks(base);
  if (noReply(out)) return out; // the rest would only repeat it, one timeout each
  const s = await search(base, 'technology journalists in London');
  out.push(judgeStatus('search answers', s, 200, searchBodyProblem));
  const id = (s.body as SearchBody | undefined)?.searchId;
  if (typeof id === 'string') {
    const fb = await probe(`${base}/api/search/${id}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': 'u-000042' },
      body: JSON.stringify({ rating: 5 }),
    });
    out.push(judgeStatus('feedback recorded', fb, 'ok'));
  }
  const flag = await probe(`${base}/api/flags/ai-search-enabled`);
  out.push(judgeStatus('flag ai-search-enabled readable', flag, 200));
  const metrics = await probe(`${base}/metrics`);
  out.push(
    judgeStatus('metrics exported', metrics, 200, (b) =>
      typeof b === 'string' && b.includes('ai_search_searches_total')
        ? undefined
        : 'ai_search_searches_total missing',
    ),
  );
  return out;
}

/** Existing functionality, as a user of the keyword search relies on it, plus the API's contract. */
export async function regressionChecks(base: string): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const q of ['technology', 'health reporters', 'climate London']) {
    out.push(judgeStatus(`search "${q}"`, await search(base, q), 200, searchBodyProblem));
    if (noReply(out)) return out;
  }
  const noQuery = await probe(`${base}/api/search`, { headers: { 'x-user-id': 'u-000042' } });
  out.push(judgeStatus('search without q is refused', noQuery, 400));
  const noUser = await probe(`${base}/api/search?q=technology`);
  out.push(judgeStatus('search without x-user-id is refused', noUser, 400));
  const badRating = await probe(
    `${base}/api/search/00000000-0000-0000-0000-000000000000/feedback`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': 'u-000042' },
      body: JSON.stringify({ rating: 9 }),
    },
  );
  out.push(judgeStatus('rating out of 1–5 is refused', badRating, 400));
  return out;
}
