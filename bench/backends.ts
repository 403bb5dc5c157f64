// npm run bench:backends — how MetricsQL's rate()/increase() (VictoriaMetrics: no extrapolation,
// the window starts at the last sample before it) change the rules' values against PromQL's
// (Prometheus 2.42: extrapolated towards the window's edges), on the same traffic.
// The e2e system (real service, LLM simulator, Prometheus, daemon in --dry-run so the flag stays
// on), steady traffic, AI error rate stepped 5% → 12% → 30%. Two VictoriaMetrics single nodes:
//   scrape: scrapes the same targets itself (what a deployment gets: its own scrape phase too);
//   same samples: fed by Prometheus's remote_write, so only the query engines differ.
// Every second, at one timestamp a few seconds back (so all three have ingested it), each store
// answers the AI error ratio (the recording rule, inlined) and the LLM-call count
// (increase) over several windows: 5s (fast mode's 5m), 15s and 60s, i.e. 5, 15 and 60 scrapes.
// Printed per window and VictoriaMetrics: mean and p95 of |VM − Prometheus| for the ratio, how
// often `ratio > 0.1` (the rollback threshold) decides differently, and VM's count over
// Prometheus's (the extrapolation, in the evidence guards' increase()).
// BENCH_SECONDS (default 150 of sampling after a 65 s warm-up), BENCH_RPS (default 30).
import { startE2eStack, waitForAiTraffic } from '../test/e2e/support/e2e-stack.js';
import { usersOfEverySegment } from '../test/e2e/support/segment-users.js';
import { startSteadyTraffic } from '../test/e2e/support/steady-traffic.js';
import { startVictoriaMetrics, type PromSample } from '../test/harness/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 150);
const RPS = Number(process.env.BENCH_RPS ?? 30);
const WINDOWS = ['5s', '15s', '60s'] as const;
const LAG_S = 8;
/** AI error rates, each for a third of the sampling: below, near and far above the 10% threshold. */
const PHASES = [0.05, 0.12, 0.3];
const CALLS = 'gen_ai_client_operation_duration_count';
const ratioExpr = (w: string) =>
  `(sum(rate(${CALLS}{error_type!=""}[${w}])) or vector(0)) / sum(rate(${CALLS}[${w}]))`;
const countExpr = (w: string) => `sum(increase(${CALLS}[${w}]))`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Store = { query(expr: string, t?: number): Promise<PromSample[]> };
type Name = 'prometheus' | 'vm-scrape' | 'vm-same-samples';
interface Point {
  readonly ratio: Record<string, number | undefined>;
  readonly count: Record<string, number | undefined>;
}

async function sample(store: Store, t: number): Promise<Point> {
  const ratio: Record<string, number | undefined> = {};
  const count: Record<string, number | undefined> = {};
  for (const w of WINDOWS) {
    ratio[w] = (await store.query(ratioExpr(w), t))[0]?.value;
    count[w] = (await store.query(countExpr(w), t))[0]?.value;
  }
  return { ratio, count };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fin = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

async function main(): Promise<void> {
  const fed = await startVictoriaMetrics({ scrapeTargets: [] });
  const stack = await startE2eStack({
    seed: 21,
    daemonBackend: 'victoria-metrics',
    daemonArgs: ['--dry-run'],
    prometheusRemoteWrite: [`${fed.url}/api/v1/write`],
    logLevel: 'warn',
  });
  const traffic = startSteadyTraffic({
    serviceUrl: stack.serviceUrl,
    users: usersOfEverySegment(20),
    perSecond: RPS,
  });
  const stores: Record<Name, Store> = {
    prometheus: stack.prom,
    'vm-scrape': stack.vm!,
    'vm-same-samples': fed,
  };
  const points: Record<Name, Point>[] = [];
  const phaseOf: number[] = [];
  try {
    await waitForAiTraffic(stack);
    stack.setAiErrorRate(0.05);
    console.error('warming up 65 s (the 60 s window fills)…');
    await sleep(65_000);
    const started = Date.now();
    for (let i = 0; i < SECONDS; i++) {
      const phase = PHASES[Math.min(PHASES.length - 1, Math.floor((PHASES.length * i) / SECONDS))]!;
      stack.setAiErrorRate(phase);
      phaseOf.push(phase);
      const t = Math.floor(Date.now() / 1000) - LAG_S;
      const row = {} as Record<Name, Point>;
      for (const name of Object.keys(stores) as Name[]) row[name] = await sample(stores[name], t);
      points.push(row);
      const next = started + (i + 1) * 1000;
      await sleep(Math.max(0, next - Date.now()));
    }
  } finally {
    await traffic.stop();
    await stack.stop();
    await fed.stop();
  }
  report(points, phaseOf);
}

function report(points: Record<Name, Point>[], phaseOf: readonly number[]): void {
  console.log(
    `\nbackends bench: ${points.length} slots (1/s), ${RPS} searches/s, AI errors 5% → 12% → 30%; shared 2-core machine`,
  );
  console.log(
    'window  VictoriaMetrics    slots  ratio mean(VM−P)  |VM−P| mean  |VM−P| p95  >0.1 differs  count VM/P mean  (p5–p95)',
  );
  for (const w of WINDOWS) {
    for (const vm of ['vm-scrape', 'vm-same-samples'] as const) {
      const pairs = points
        .map((p) => [p.prometheus.ratio[w], p[vm].ratio[w]] as const)
        .filter((x): x is readonly [number, number] => fin(x[0]) && fin(x[1]));
      const diffs = pairs.map(([p, v]) => v - p);
      const abs = diffs.map(Math.abs);
      const differs = pairs.filter(([p, v]) => p > 0.1 !== v > 0.1).length;
      const counts = points
        .map((p) => [p.prometheus.count[w], p[vm].count[w]] as const)
        .filter((x): x is readonly [number, number] => fin(x[0]) && fin(x[1]) && x[0] > 0)
        .map(([p, v]) => v / p);
      console.log(
        [
          w.padEnd(6),
          vm.padEnd(17),
          String(pairs.length).padStart(6),
          mean(diffs).toFixed(4).padStart(17),
          mean(abs).toFixed(4).padStart(12),
          quantile(abs, 0.95).toFixed(4).padStart(11),
          `${((100 * differs) / Math.max(1, pairs.length)).toFixed(1)}%`.padStart(13),
          mean(counts).toFixed(3).padStart(16),
          `(${quantile(counts, 0.05).toFixed(3)}–${quantile(counts, 0.95).toFixed(3)})`,
        ].join('  '),
      );
    }
  }
  // Where the decisions part: slots whose `ratio > 0.1` differs, by injected error rate.
  console.log(
    '\n`ratio > 0.1` decided differently, by injected AI error rate (slots differing / slots)',
  );
  console.log(
    `window  VictoriaMetrics    ${PHASES.map((p) => `${p * 100}%`.padStart(9)).join('  ')}`,
  );
  for (const w of WINDOWS) {
    for (const vm of ['vm-scrape', 'vm-same-samples'] as const) {
      const cells = PHASES.map((phase) => {
        const pairs = points
          .filter((_, i) => phaseOf[i] === phase)
          .map((p) => [p.prometheus.ratio[w], p[vm].ratio[w]] as const)
          .filter((x): x is readonly [number, number] => fin(x[0]) && fin(x[1]));
        const differs = pairs.filter(([p, v]) => p > 0.1 !== v > 0.1).length;
        return `${differs}/${pairs.length}`.padStart(9);
      });
      console.log(`${w.padEnd(6)}  ${vm.padEnd(17)}  ${cells.join('  ')}`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
