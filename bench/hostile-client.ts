// npm run bench:hostile -- [--baseline DIR] — what one hostile client does to ai_error_ratio, the
// signal that rolls AI search back. A real `canary serve` process (this tree, and optionally
// another checkout such as landed main, same bench, same run) with AI search on for everyone and
// the LLM simulator in-process. Normal users search ~3 times a second, each from its own loopback
// address; one client at 127.0.0.66 attacks. Two attacks:
//   A. the issue's: `reporters zzzz…` (70 z's) every 2 s;
//   B. a well-formed query the model always chokes on (the simulator fails every query containing
//      "poisoned"), made distinct each time so no cache can help, every 0.5 s, from rotating
//      user ids. Only the per-client share bounds it; its window is scaled to 30 s (6 calls, the
//      same rate as the default 60 per 300 s) so the bench sees it turn over.
// The ratio is failed LLM calls / all LLM calls over the run, read from the service's /metrics
// (what Prometheus's rate ratio computes over a window of steady traffic). Linux only (the
// 127.0.0.0/8 source addresses). BENCH_SECONDS (default 40) per attack and tree.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLlmSimulator, type LlmSimulator } from '../src/llm-sim/index.js';
import { ClientPool, paced, type ClientAnswer } from '../test/e2e/support/client-traffic.js';
import { FLAG_ENV } from '../test/e2e/support/e2e-stack.js';
import { usersOfEverySegment } from '../test/e2e/support/segment-users.js';
import { eventually, freePort, launch, tail } from '../test/harness/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 40);
const NORMAL_PER_SECOND = 3;

interface Attack {
  readonly name: string;
  readonly perSecond: number;
  readonly query: (n: number) => string;
}

const ATTACKS: readonly Attack[] = [
  {
    name: 'A: reporters + 70 z, every 2 s',
    perSecond: 0.5,
    query: () => `reporters ${'z'.repeat(70)}`,
  },
  {
    name: 'B: poisoned well-formed queries, every 0.5 s',
    perSecond: 2,
    query: (n) => `poisoned reporters ${n}`,
  },
];

async function startServe(root: string, sim: LlmSimulator, dir: string) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...FLAG_ENV,
    LLM_SIM_URL: sim.url,
    AI_SEARCH_LOG_LEVEL: 'error',
    AI_SEARCH_CLIENT_CALL_SHARE: '6', // ignored by a tree without the share
    AI_SEARCH_CLIENT_SHARE_WINDOW: '30',
  };
  const envArgs = ['-u', 'OPENAI_API_KEY', '-u', 'OPENROUTER_API_KEY', '-u', 'ANTHROPIC_API_KEY'];
  for (const [k, v] of Object.entries(env)) envArgs.push(`${k}=${v}`);
  const args = [
    process.execPath,
    path.join(root, 'bin/canary.js'),
    'serve',
    '--port',
    String(port),
  ];
  args.push('--data-dir', dir, '--contacts', '2000');
  const proc = launch('env', [...envArgs, ...args], 'search-service');
  await eventually(
    async () => {
      if (proc.exited()) throw new Error(`the service exited:\n${tail(proc.output())}`);
      return (await fetch(`${url}/readyz`)).ok ? true : undefined;
    },
    { what: `the search service from ${root}`, timeoutMs: 90_000 },
  );
  return { proc, url };
}

/** Failed and all LLM calls so far, from the service's /metrics. */
async function llmCalls(url: string): Promise<{ failed: number; all: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let failed = 0;
  let all = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('gen_ai_client_operation_duration_count{')) continue;
    const n = Number(line.slice(line.lastIndexOf(' ') + 1));
    all += n;
    if (/error_type="[^"]+"/.test(line)) failed += n;
  }
  return { failed, all };
}

async function run(root: string, attack: Attack) {
  const sim = await startLlmSimulator({
    port: 0,
    seed: 5,
    latency: { baseMs: 20, perOutputTokenMs: 0, jitterMs: 10 },
  });
  sim.setFaults({ errorRate: 1, mode: 'garbage', queryContains: 'poisoned' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-hostile-'));
  const { proc, url } = await startServe(root, sim, dir);
  const pool = new ClientPool(url);
  const users = usersOfEverySegment(30);
  const topics = ['climate reporters in Berlin', 'tech editors in London', 'health journalists'];
  const answers: ClientAnswer[] = [];
  try {
    const before = await llmCalls(url);
    const normal = paced(NORMAL_PER_SECOND, async (i) => {
      const u = users[i % users.length]!;
      const q = encodeURIComponent(`${topics[i % topics.length]} ${i}`);
      const address = `127.0.1.${(i % users.length) + 1}`;
      await pool.get({ path: `/api/search?q=${q}&limit=5`, userId: u.id, address }, 'normal');
    });
    const hostile = paced(attack.perSecond, async (n) => {
      const q = encodeURIComponent(attack.query(n));
      const r = {
        path: `/api/search?q=${q}&limit=5`,
        userId: `attacker-${n}`,
        address: '127.0.0.66',
      };
      answers.push(await pool.get(r, 'attack'));
    });
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    await hostile.stop();
    await normal.stop();
    const after = await llmCalls(url);
    const failed = after.failed - before.failed;
    const all = after.all - before.all;
    const reasons = new Map<string, number>();
    for (const a of answers) {
      const k = a.degradedReason ?? String(a.status);
      reasons.set(k, (reasons.get(k) ?? 0) + 1);
    }
    return { failed, all, ratio: failed / all, reasons };
  } finally {
    pool.close();
    await proc.stop();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const baseline = process.argv.includes('--baseline')
  ? path.resolve(process.argv[process.argv.indexOf('--baseline') + 1] ?? '')
  : undefined;
const trees = [...(baseline ? [['baseline', baseline]] : []), ['this tree', process.cwd()]];
console.log(`hostile client beside ${NORMAL_PER_SECOND} normal searches/s, ${SECONDS} s per run`);
for (const attack of ATTACKS) {
  for (const [name, root] of trees) {
    const r = await run(root!, attack);
    const why = [...r.reasons].map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(
      `${attack.name.padEnd(46)} ${name!.padEnd(10)} ai_error_ratio ${r.ratio.toFixed(3)} ` +
        `(${r.failed} of ${r.all} LLM calls failed); attacker answers: ${why}`,
    );
  }
}
