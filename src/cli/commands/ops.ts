// The deployment guide's operational commands (npm run health-check, test:smoke, …), each aimed
// at SEARCH_URL / PROMETHEUS_URL from the environment or from .env.<name> with --env. Exit codes:
// 0 every target met, 1 a target missed, 2 bad usage, 3 no reply (docs/operations.md).
// Each check's code is loaded when it runs (`load`), so `canary --help` does not pay for it.
import type { Command } from 'commander';
import type { Aim, AimOptions } from '../../stack/ops/run-check.js';
import type { CheckResult } from '../../stack/ops/verdict.js';
import { intOption } from '../int-option.js';
import type { RegisterCommand } from './index.js';
import { addPrometheusAccessOptions } from './prometheus-options.js';

const positiveInt = intOption(1, Infinity);

interface OpDef {
  readonly name: string;
  readonly description: string;
  readonly usesPrometheus: boolean;
  readonly title: (aim: Aim) => string;
  readonly run: (aim: Aim, opts: Record<string, unknown>) => Promise<CheckResult[]>;
}

const serviceChecks = () => import('../../stack/ops/service-checks.js');
const metricChecks = () => import('../../stack/ops/metric-checks.js');
const targets = () => import('../../stack/ops/targets.js');

const OPS: readonly OpDef[] = [
  {
    name: 'health-check',
    description:
      'Is the search service alive and ready? (npm run health-check[:staging|:production])',
    usesPrometheus: false,
    title: (a) => `health check of ${a.serviceUrl}`,
    run: async (a) => (await serviceChecks()).healthChecks(a.serviceUrl),
  },
  {
    name: 'smoke',
    description:
      'Search, feedback, flag and metrics endpoints answer as expected (npm run test:smoke)',
    usesPrometheus: false,
    title: (a) => `smoke test of ${a.serviceUrl}`,
    run: async (a) => (await serviceChecks()).smokeChecks(a.serviceUrl),
  },
  {
    name: 'regression',
    description:
      'Existing keyword search and the API contract still work (npm run test:regression)',
    usesPrometheus: false,
    title: (a) => `regression test of ${a.serviceUrl}`,
    run: async (a) => (await serviceChecks()).regressionChecks(a.serviceUrl),
  },
  {
    name: 'ai-services',
    description: 'Every configured LLM provider answers a tiny request (npm run test:ai-services)',
    usesPrometheus: false,
    title: () => 'AI service connections',
    run: async (a) => {
      const { aiServiceChecks } = await import('../../stack/ops/ai-service-checks.js');
      return aiServiceChecks(a.config.providers, a.config.timeoutMs);
    },
  },
  {
    name: 'response-times',
    description:
      'p95 latencies from Prometheus against the targets (npm run validate:response-times)',
    usesPrometheus: true,
    title: (a) => `response times from ${a.prometheusUrl}`,
    run: async (a) =>
      (await metricChecks()).checkTargets(
        a.prometheusUrl,
        (await targets()).RESPONSE_TIME_TARGETS,
        a.prometheusHeaders,
      ),
  },
  {
    name: 'monitor-errors',
    description:
      'Error rates, search success and firing alerts from Prometheus (npm run monitor:errors)',
    usesPrometheus: true,
    title: (a) => `error rates from ${a.prometheusUrl}`,
    run: async (a) => {
      const { checkFiringAlerts, checkTargets } = await metricChecks();
      return [
        ...(await checkTargets(
          a.prometheusUrl,
          (await targets()).ERROR_TARGETS,
          a.prometheusHeaders,
        )),
        await checkFiringAlerts(a.prometheusUrl, a.prometheusHeaders),
      ];
    },
  },
  {
    name: 'performance',
    description:
      'A short autocannon load on the search API: p95 and errors (npm run test:performance)',
    usesPrometheus: false,
    title: (a) => `performance of ${a.serviceUrl}`,
    run: async (a, o) => {
      const { formatProgress, performanceChecks } = await import('../../stack/ops/performance.js');
      const durationSeconds = o.duration as number;
      const rate = o.rate as number;
      // Progress goes to stderr, so stdout stays the report (or the JSON) alone.
      return performanceChecks({
        baseUrl: a.serviceUrl,
        durationSeconds,
        connections: o.connections as number,
        query: 'technology journalists in London',
        rate,
        users: o.users as number,
        onStart: () =>
          console.error(
            `loading ${a.serviceUrl}/api/search for ${durationSeconds} s at ${rate} requests/s…`,
          ),
        onTick: (p) => console.error(formatProgress(p)),
      });
    },
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
    .option('--url <url>', 'the search service (default: SEARCH_URL)')
    .option('--json', 'print the verdict as one JSON object (same exit codes)');
  if (op.usesPrometheus) {
    addPrometheusAccessOptions(cmd)
      .option(
        '--prometheus-url <url>',
        'Prometheus-compatible base URL, path prefix included (default: PROMETHEUS_URL)',
      )
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
  cmd.addHelpText(
    'after',
    '\nExit codes: 0 every target met, 1 a target missed, 2 bad usage, 3 no reply (could not check).',
  );
  cmd.action(async (opts: AimOptions & Record<string, unknown>) => {
    const { runChecks } = await import('../../stack/ops/run-check.js');
    const aim = { ...opts, usesPrometheus: op.usesPrometheus };
    process.exitCode = await runChecks(op.name, op.title, aim, (a) => op.run(a, opts));
  });
}

export const registerOps: RegisterCommand = (program: Command) => {
  for (const op of OPS) register(program, op);
};
