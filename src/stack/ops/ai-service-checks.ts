// test:ai-services: one tiny completion from every provider of the fallback chain, as configured
// (real providers when their key is set, else the LLM simulator). Keys go in headers only.
import { SIMULATOR_API_KEY } from '../../search/llm/sdk-settings.js';
import type { ProviderConfig } from '../../shared/config.js';
import { describe, probe } from './http-probe.js';
import { fail, pass, unreachable, type CheckResult } from './verdict.js';

function request(p: ProviderConfig): { url: string; init: RequestInit } {
  const base = p.baseUrl.replace(/\/$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  // The simulator wants a key too (any value), as the service's SDK clients send it.
  const key = p.apiKey ?? (p.simulated ? SIMULATOR_API_KEY : undefined);
  if (p.name === 'anthropic') {
    if (key) headers['x-api-key'] = key;
    headers['anthropic-version'] = '2023-06-01';
    const body = { model: p.model, max_tokens: 8, messages: [{ role: 'user', content: 'ping' }] };
    return {
      url: `${base}/v1/messages`,
      init: { method: 'POST', headers, body: JSON.stringify(body) },
    };
  }
  if (key) headers.authorization = `Bearer ${key}`;
  const body = { model: p.model, max_tokens: 8, messages: [{ role: 'user', content: 'ping' }] };
  return {
    url: `${base}/chat/completions`,
    init: { method: 'POST', headers, body: JSON.stringify(body) },
  };
}

export async function aiServiceChecks(
  providers: readonly ProviderConfig[],
  timeoutMs: number,
): Promise<CheckResult[]> {
  return Promise.all(
    providers.map(async (p) => {
      const name = `${p.name} ${p.model}${p.simulated ? ' (LLM simulator)' : ''}`;
      const target = `HTTP 2xx within ${timeoutMs} ms`;
      const { url, init } = request(p);
      const r = await probe(url, init, timeoutMs);
      if (r.ok) return pass(name, describe(r), target);
      if (r.status === undefined) return unreachable(name, describe(r), target);
      const hint =
        r.status === 401 || r.status === 403
          ? ' (check the API key)'
          : r.status === 429
            ? ' (quota or rate limit)'
            : '';
      return fail(name, `${describe(r)}${hint}`, target);
    }),
  );
}
