// Figures for the LLM layer against the local simulator (latency model off, so the numbers are
// our own overhead): a cache hit, a full call through each official SDK, and a bare fetch to the
// same endpoint as the baseline. Run: npm run bench:llm
import { performance } from 'node:perf_hooks';
import { startLlmSimulator } from '../src/llm-sim/server.js';
import { buildPrompt } from '../src/search/llm/prompt.js';
import { createQueryUnderstanding } from '../src/search/llm/query-understanding.js';
import { loadConfig, type ProviderName } from '../src/shared/config.js';
import { createLogger } from '../src/shared/logger.js';

const logger = createLogger({ name: 'bench', level: 'silent' });
const telemetry = { recordCall: () => {}, recordCache: () => {}, recordCoalesced: () => {} };

async function timeIt(
  label: string,
  n: number,
  fn: (i: number) => Promise<unknown>,
): Promise<number> {
  for (let i = 0; i < Math.min(50, n); i++) await fn(i); // warm-up
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const perOpUs = ((performance.now() - start) * 1000) / n;
  console.log(
    `${label.padEnd(44)} ${perOpUs.toFixed(1).padStart(9)} µs/op  ${Math.round(1e6 / perOpUs)} ops/s`,
  );
  return perOpUs;
}

const sim = await startLlmSimulator({
  seed: 1,
  latency: { baseMs: 0, perOutputTokenMs: 0, jitterMs: 0 },
});
try {
  const prompt = buildPrompt('tech reporters');
  const messages = [
    { role: 'system', content: prompt.system },
    { role: 'user', content: prompt.user },
  ];
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages });
  const headers = { authorization: 'Bearer k', 'content-type': 'application/json' };
  const baseline = await timeIt('bare fetch, same prompt (baseline)', 500, () =>
    fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', headers, body }).then((r) =>
      r.json(),
    ),
  );
  for (const provider of ['openai', 'openrouter', 'anthropic'] as ProviderName[]) {
    const config = loadConfig({
      LLM_SIM_URL: sim.url,
      AI_SEARCH_PROVIDERS: provider,
      AI_SEARCH_CACHE_TTL: '0',
    });
    const qu = createQueryUnderstanding({ config, logger, telemetry });
    const t = await timeIt(`understand(), cache off, ${provider} SDK`, 500, (i) =>
      qu.understand(`tech reporters ${i}`),
    );
    console.log(`${''.padEnd(44)} ${(t / baseline).toFixed(2)}× the bare fetch`);
  }
  const cached = createQueryUnderstanding({
    config: loadConfig({ LLM_SIM_URL: sim.url }),
    logger,
    telemetry,
  });
  await cached.understand('tech reporters in Berlin');
  await timeIt('understand(), cache hit', 100_000, () =>
    cached.understand('tech reporters in Berlin'),
  );
} finally {
  await sim.close();
}
