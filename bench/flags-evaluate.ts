// What a flag evaluation costs the search service per request, through the OpenFeature client and
// through flagd-core directly (the ratio is the SDK's overhead), and how long a running evaluator
// takes to see a change written by the store. Run: npm run bench:flags
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FlagdCore } from '@openfeature/flagd-core';
import { pino } from 'pino';
import { createFlagEvaluator } from '../src/flags/evaluator.js';
import { createFileFlagStore } from '../src/flags/file-flag-store.js';
import { renderFlagFile } from '../src/flags/flag-file.js';
import { AI_SEARCH_FLAG, type UserSegment } from '../src/flags/types.js';

const N = Number(process.env.BENCH_N ?? 200_000);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 30);
const SEGS: readonly UserSegment[] = ['internal-users', 'beta-users', 'public'];
const bootstrap = {
  aiSearchEnabled: false,
  rolloutPercentage: 0,
  internalUsers: true,
  betaUsers: false,
};
const logger = pino({ level: 'silent' });

interface Figures {
  perSecond: number;
  p50us: number;
  p99us: number;
}

async function measure(evaluate: (i: number) => unknown | Promise<unknown>): Promise<Figures> {
  for (let i = 0; i < 20_000; i++) await evaluate(i); // warm-up (JIT, caches)
  const samples = new Float64Array(N);
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    await evaluate(i);
    samples[i] = Number(process.hrtime.bigint() - t) / 1_000;
  }
  const totalS = Number(process.hrtime.bigint() - start) / 1e9;
  samples.sort();
  return {
    perSecond: N / totalS,
    p50us: samples[Math.floor(N * 0.5)]!,
    p99us: samples[Math.floor(N * 0.99)]!,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-flags-'));
  const file = path.join(dir, 'flags.json');
  const store = createFileFlagStore({ path: file, bootstrap, logger });
  await store.update(
    { flag: AI_SEARCH_FLAG, value: true, percentage: 10, segment: 'beta-users' },
    { actor: 'bench', reason: 'bench' },
  );
  await store.update({ flag: AI_SEARCH_FLAG, percentage: 25 }, { actor: 'bench', reason: 'bench' });
  const evaluator = await createFlagEvaluator({ path: file, bootstrap, logger });

  const core = new FlagdCore();
  core.setConfigurations(renderFlagFile(await store.list()));
  const direct = await measure((i) =>
    core.resolveBooleanEvaluation(AI_SEARCH_FLAG, false, {
      targetingKey: `user-${i}`,
      segment: SEGS[i % 3]!,
    }),
  );
  const sdk = await measure((i) => evaluator.evaluate(AI_SEARCH_FLAG, `user-${i}`, SEGS[i % 3]!));

  const latencies: number[] = [];
  for (let k = 0; k < CHANGES; k++) {
    const seen = new Promise<number>((resolve) => {
      const off = evaluator.onChange(() => {
        off();
        resolve(performance.now());
      });
    });
    const t0 = performance.now();
    await store.update(
      { flag: AI_SEARCH_FLAG, percentage: 26 + (k % 50) },
      { actor: 'bench', reason: 'bench' },
    );
    latencies.push((await seen) - t0);
  }
  await evaluator.close();
  rmSync(dir, { recursive: true, force: true });

  const row = (name: string, f: Figures) =>
    `${name.padEnd(28)} ${Math.round(f.perSecond).toLocaleString('en').padStart(11)}/s   p50 ${f.p50us.toFixed(1).padStart(6)} µs   p99 ${f.p99us.toFixed(1).padStart(6)} µs`;
  console.log(`flag evaluation, ${N.toLocaleString('en')} calls each (node ${process.version})`);
  console.log(row('flagd-core directly', direct));
  console.log(row('OpenFeature client (ours)', sdk));
  console.log(
    `ratio (SDK / direct): throughput ${(direct.perSecond / sdk.perSecond).toFixed(1)}x slower, p99 ${(sdk.p99us / direct.p99us).toFixed(1)}x`,
  );
  console.log(
    `change propagation (store.update start -> onChange), ${CHANGES} writes: median ${median(latencies).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
  );
}

// The evaluator's watch and poll do not hold the process open (a service's server does); here,
// waiting for a change event would otherwise end the process.
const keepAlive = setInterval(() => {}, 60_000);
await main().finally(() => clearInterval(keepAlive));
