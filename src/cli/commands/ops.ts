// The deployment guide's operational commands (npm run health-check, test:smoke, …), each aimed
// at SEARCH_URL / PROMETHEUS_URL from the environment or from .env.<name> with --env.
import { InvalidArgumentError, type Command } from 'commander';
import { aiServiceChecks } from '../../stack/ops/ai-service-checks.js';
import { checkFiringAlerts, checkTargets } from '../../stack/ops/metric-checks.js';
import { judgeLoad, runLoad } from '../../stack/ops/performance.js';
import { runChecks, type Aim, type AimOptions } from '../../stack/ops/run-check.js';
import { healthChecks, regressionChecks, smokeChecks } from '../../stack/ops/service-checks.js';
import { ERROR_TARGETS, RESPONSE_TIME_TARGETS } from '../../stack/ops/targets.js';
import type { CheckResult } from '../../stack/ops/verdict.js';
import type { RegisterCommand } from './index.js';

const positiveInt = (raw: string) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
};

interface OpDef {
  readonly name: string;
  readonly description: string;
  readonly usesPrometheus: boolean;
  readonly title: (aim: Aim) => string;
  readonly run: (aim: Aim, opts: Record<string, unknown>) => Promise<CheckResult[]>;
}

const OPS: readonly OpDef[] = [
  {
    name: 'health-check',
    description:
      'Is the search service alive and ready? (npm run health-check[:staging|:production])',
    usesPrometheus: false,
    title: (a) => `health check of ${a.serviceUrl}`,
    run: (a) => healthChecks(a.serviceUrl),
  },
  {
    name: 'smoke',
    description:
      'Search, feedback, flag and metrics endpoints answer as expected (npm run test:smoke)',
    usesPrometheus: false,
    title: (a) => `smoke test of ${a.serviceUrl}`,
    run: (a) => smokeChecks(a.serviceUrl),
  },
  {
    name: 'regression',
    description:
      'Existing keyword search and the API contract still work (npm run test:regression)',
    usesPrometheus: false,
    title: (a) => `regression test of ${a.serviceUrl}`,
    run: (a) => regressionChecks(a.serviceUrl),
  },
  {
    name: 'ai-services',
    description: 'Every configured LLM provider answers a tiny request (npm run test:ai-services)',
    usesPrometheus: false,
    title: () => 'AI service connections',
    run: (a) => aiServiceChecks(a.config.providers, a.config.timeoutMs),
  },
  {
    name: 'response-times',
    description:
      'p95 latencies from Prometheus against the targets (npm run validate:response-times)',
    usesPrometheus: true,
    title: (a) => `response times from ${a.prometheusUrl}`,
    run: (a) => checkTargets(a.prometheusUrl, RESPONSE_TIME_TARGETS),
  },
  {
    name: 'monitor-errors',
    description:
      'Error rates, search success and firing alerts from Prometheus (npm run monitor:errors)',
    usesPrometheus: true,
    title: (a) => `error rates from ${a.prometheusUrl}`,
    run: async (a) => [
      ...(await checkTargets(a.prometheusUrl, ERROR_TARGETS)),
      await checkFiringAlerts(a.prometheusUrl),
    ],
  },
  {
    name: 'performance',
    description:
      'A short autocannon load on the search API: p95 and errors (npm run test:performance)',
    usesPrometheus: false,
    title: (a) => `performance of ${a.serviceUrl}`,
    run: async (a, o) =>
      judgeLoad(
        await runLoad({
          baseUrl: a.serviceUrl,
          durationSeconds: o.duration as number,
          connections: o.connections as number,
          query: 'technology journalists in London',
          rate: o.rate as number,
          users: o.users as number,
        }),
      ),
  },
];

function register(program: Command, op: OpDef): void {
  const cmd = program
    .command(op.name)
    .description(op.description)
    .option(
      '--env <name>',
      'read .env.<name> (staging, production) for SEARCH_URL, PROMETHEUS_URL, keys',
    )
    .option('--url <url>', 'the search service (default: SEARCH_URL)');
  if (op.usesPrometheus) {
    cmd
      .option('--prometheus-url <url>', 'Prometheus (default: PROMETHEUS_URL)')
      .option(
        '--allow-no-data',
        'do not fail a check that has no data to judge (no traffic yet)',
        false,
      );
  }
  if (op.name === 'performance') {
    cmd
      .option('--duration <seconds>', 'load duration', positiveInt, 10)
      .option('--connections <n>', 'concurrent connections', positiveInt, 10)
      .option(
        '--rate <rps>',
        'requests per second in total (the service limits one client to 100/s)',
        positiveInt,
        50,
      )
      .option('--users <n>', 'users u-000001… taking turns', positiveInt, 200);
  }
  cmd.action(async (opts: AimOptions & Record<string, unknown>) => {
    process.exitCode = await runChecks(op.title, opts, (aim) => op.run(aim, opts));
  });
}

export const registerOps: RegisterCommand = (program: Command) => {
  for (const op of OPS) register(program, op);
};
