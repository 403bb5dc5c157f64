// `canary start`: the whole stack on this machine (see docs/local-stack.md).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_PORTS, type StackPorts } from '../../stack/ports.js';
import { parseReplicas } from '../../stack/replicas.js';
import type { RegisterCommand } from './index.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function port(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65_535) {
    throw new InvalidArgumentError('expected a port number from 1 to 65535');
  }
  return n;
}

function replicas(raw: string): number {
  const r = parseReplicas(raw);
  if (!r.ok) throw new InvalidArgumentError(r.error);
  return r.value;
}

interface StartFlags {
  fast: boolean;
  traffic: boolean;
  alertmanager: boolean;
  dataDir: string;
  servicePort: number;
  daemonPort: number;
  simPort: number;
  prometheusPort: number;
  alertmanagerPort: number;
  replicas: number;
}

/** One status line per search service replica (the first is the one the README's URLs use). */
function serviceLines(replicaUrls: readonly string[]): string[] {
  const [first] = replicaUrls;
  const lines = [`  search service   ${first}   (try ${first}/api/search?q=climate%20reporters)`];
  if (replicaUrls.length === 1) return lines;
  lines[0] = `  search service   ${replicaUrls.length} replicas, traffic round robin over them:`;
  return lines.concat(replicaUrls.map((u, i) => `    replica ${i + 1}      ${u}`));
}

function printUrls(
  urls: Record<string, string | undefined>,
  replicaUrls: readonly string[],
  fast: boolean,
  logDir: string,
): void {
  const lines = [
    '',
    `The AI search stack is up${fast ? ' (fast mode: rule windows in seconds)' : ''}:`,
    ...serviceLines(replicaUrls),
    `  canary daemon    ${urls.daemon}   (status page)`,
    `  Prometheus       ${urls.prometheus}`,
    `  Alertmanager     ${urls.alertmanager ?? 'not installed: notifications are only logged'}`,
    `  LLM simulator    ${urls.llmSim}`,
    `  logs             ${logDir}`,
    '',
    'Inject a fault: npx canary chaos --ai-error-rate 0.3   (end it: --ai-error-rate 0)',
    'Ctrl-C stops everything.',
  ];
  console.log(lines.join('\n'));
}

async function run(flags: StartFlags): Promise<void> {
  const [{ flagOffNote }, { shortPath, startStack }, { findStackTools }] = await Promise.all([
    import('../../stack/leftovers.js'),
    import('../../stack/stack.js'),
    import('../../stack/tools.js'),
  ]);
  const tools = findStackTools();
  const ports: StackPorts = {
    service: flags.servicePort,
    daemon: flags.daemonPort,
    llmSim: flags.simPort,
    prometheus: flags.prometheusPort,
    alertmanager: flags.alertmanagerPort,
  };
  const stack = await startStack({
    rootDir: ROOT,
    dataDir: path.resolve(flags.dataDir),
    fast: flags.fast,
    traffic: flags.traffic,
    ports,
    replicas: flags.replicas,
    tools: flags.alertmanager ? tools : { ...tools, alertmanager: undefined },
    say: (line) => console.log(line),
  });
  printUrls({ ...stack.urls }, stack.replicaUrls, flags.fast, shortPath(stack.logDir));
  const note = await flagOffNote(stack.urls.service);
  if (note) console.log(`\n${note}`);
  let stopping = false;
  // Ctrl-C reaches npm and this process both, and npm forwards it: a second signal must not
  // end this process before its children are stopped.
  const stopOn = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the stack…`);
    void stack.stop().then(() => {
      console.log('stopped; no process left behind.');
      process.exit(0);
    });
  };
  process.on('SIGINT', stopOn);
  process.on('SIGTERM', stopOn);
  await stack.failed; // resolves never; rejects when a child dies (the stack is then stopped)
}

export const registerStart: RegisterCommand = (program: Command) => {
  program
    .command('start')
    .description(
      'Run the whole stack locally: LLM simulator, search service, Prometheus, Alertmanager, canary daemon, traffic',
    )
    .option(
      '--fast',
      'scale every rule duration by 1/60 (minutes → seconds), 1 s scrape/evaluation',
      false,
    )
    .option('--no-traffic', 'do not generate synthetic searches')
    .option('--no-alertmanager', 'do not start Alertmanager even when installed')
    .option('--data-dir <dir>', 'state directory', process.env.DATA_DIR ?? 'data')
    .option(
      '--replicas <n>',
      'search service processes (1–16), sharing the database and flag store; Prometheus scrapes each',
      replicas,
      1,
    )
    .option(
      '--service-port <port>',
      'search service port (of the first replica)',
      port,
      DEFAULT_PORTS.service,
    )
    .option('--daemon-port <port>', 'canary daemon port', port, DEFAULT_PORTS.daemon)
    .option('--sim-port <port>', 'LLM simulator port', port, DEFAULT_PORTS.llmSim)
    .option('--prometheus-port <port>', 'Prometheus port', port, DEFAULT_PORTS.prometheus)
    .option('--alertmanager-port <port>', 'Alertmanager port', port, DEFAULT_PORTS.alertmanager)
    .action(async (flags: StartFlags) => {
      try {
        await run(flags);
      } catch (e) {
        console.error(`canary start: ${(e as Error).message}`);
        process.exit(1);
      }
    });
};
