// The local LLM simulator: an HTTP server that speaks OpenAI's chat completions (also as
// OpenRouter) and Anthropic's messages API well enough for the official SDKs, with fault
// injection through /__control/faults. A test double for a paid API, like a local S3.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../shared/logger.js';
import { DEFAULT_LATENCY, type LatencyModel } from './chat-handler.js';
import type { Faults } from './faults.js';
import { sendJson } from './http-io.js';
import { createRng } from './rng.js';
import { SimulatorApp, type SimulatorStats } from './simulator-app.js';

export type { SimulatorStats } from './simulator-app.js';

export interface LlmSimulatorOptions {
  readonly port?: number;
  readonly host?: string;
  /** Seed for fault decisions, latency jitter and ids (default 42). */
  readonly seed?: number;
  readonly logger?: Logger;
  /** The latency model; tests shrink it so they run fast. */
  readonly latency?: Partial<LatencyModel>;
}

export interface LlmSimulator {
  readonly url: string;
  /** Replaces every fault setting; throws on an invalid value. */
  setFaults(faults: Faults): void;
  getFaults(): Faults;
  stats(): SimulatorStats;
  resetStats(): void;
  close(): Promise<void>;
}

/** The URL clients should use: a wildcard listen address is reached through loopback. */
function clientUrl(host: string | undefined, port: number): string {
  const h = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

export async function startLlmSimulator(opts: LlmSimulatorOptions = {}): Promise<LlmSimulator> {
  const latency: LatencyModel = { ...DEFAULT_LATENCY, ...opts.latency };
  const app = new SimulatorApp(createRng(opts.seed ?? 42), latency, opts.logger);
  const server = createServer((req, res) => {
    app.handle(req, res).catch((err: unknown) => {
      opts.logger?.error({ err }, 'LLM simulator request failed');
      sendJson(res, 500, { error: { message: 'simulator internal error', type: 'server_error' } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: clientUrl(opts.host, port),
    setFaults: (faults) => void app.setFaults(faults),
    getFaults: () => app.getFaults(),
    stats: () => app.stats(),
    resetStats: () => app.resetStats(),
    close: () =>
      new Promise<void>((resolve) => {
        app.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
