// The local LLM simulator: an HTTP server that speaks OpenAI's chat completions (also as
// OpenRouter) and Anthropic's messages API well enough for the official SDKs, with fault
// injection through /__control/faults. A test double for a paid API, like a local S3.
//
// Which provider a chat completion "is": OpenRouter when the path starts with /openrouter or the
// request carries OpenRouter's attribution headers (X-Title or HTTP-Referer, which our OpenRouter
// adapter always sends); otherwise OpenAI. /v1/messages is always Anthropic.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../shared/logger.js';
import {
  DEFAULT_LATENCY,
  handleChat,
  requestId,
  sendProviderError,
  validateChatBody,
  type LatencyModel,
} from './chat-handler.js';
import {
  effectiveFaults,
  NO_FAULTS,
  parseFaults,
  SIM_PROVIDERS,
  type Faults,
  type SimProvider,
} from './faults.js';
import { parseJson, readBody, sendJson } from './http-io.js';
import { createRng } from './rng.js';

export interface LlmSimulatorOptions {
  readonly port?: number;
  readonly host?: string;
  readonly seed?: number;
  readonly logger?: Logger;
  /** The latency model; tests shrink it so they run fast. */
  readonly latency?: Partial<LatencyModel>;
}

export interface SimulatorStats {
  /** Chat requests that reached the model (valid body, authenticated), per provider. */
  readonly requests: Readonly<Record<SimProvider, number>>;
  readonly totalRequests: number;
  readonly inFlight: number;
  /** The most chat requests ever in flight at once since the last reset. */
  readonly maxInFlight: number;
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

interface State {
  faults: Faults;
  requests: Record<SimProvider, number>;
  inFlight: number;
  maxInFlight: number;
}

function providerOf(path: string, req: IncomingMessage): SimProvider | undefined {
  const p = path.replace(/^\/openrouter(?=\/)/, '');
  if (p === '/v1/messages') return 'anthropic';
  if (p !== '/v1/chat/completions') return undefined;
  const openRouter =
    path.startsWith('/openrouter/') || !!req.headers['x-title'] || !!req.headers['http-referer'];
  return openRouter ? 'openrouter' : 'openai';
}

function authenticated(provider: SimProvider, req: IncomingMessage): boolean {
  if (provider === 'anthropic') return !!req.headers['x-api-key'] || !!req.headers.authorization;
  return /^Bearer \S+/.test(req.headers.authorization ?? '');
}

function freshCounts(): Record<SimProvider, number> {
  return { openai: 0, openrouter: 0, anthropic: 0 };
}

export async function startLlmSimulator(opts: LlmSimulatorOptions = {}): Promise<LlmSimulator> {
  const rng = createRng(opts.seed ?? 42);
  const latency: LatencyModel = { ...DEFAULT_LATENCY, ...opts.latency };
  const state: State = { faults: NO_FAULTS, requests: freshCounts(), inFlight: 0, maxInFlight: 0 };
  const closing = new AbortController();

  const wait = (ms: number, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      if (res.destroyed || closing.signal.aborted) return resolve();
      const timer = ms < 2_147_483_647 ? setTimeout(done, Math.max(0, ms)) : undefined;
      res.on('close', done);
      closing.signal.addEventListener('abort', done, { once: true });
      function done() {
        if (timer) clearTimeout(timer);
        res.off('close', done);
        closing.signal.removeEventListener('abort', done);
        resolve();
      }
    });

  async function chat(
    provider: SimProvider,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const reqId = requestId(provider, rng);
    const raw = await readBody(req);
    if (!raw.ok) return sendProviderError(res, provider, raw.status, raw.reason, reqId);
    if (!authenticated(provider, req)) {
      return sendProviderError(
        res,
        provider,
        401,
        'Missing API key (any value works with the simulator)',
        reqId,
      );
    }
    const json = parseJson(raw.text);
    if (!json.ok) return sendProviderError(res, provider, 400, json.reason, reqId);
    const body = validateChatBody(provider, json.value);
    if (typeof body === 'string') return sendProviderError(res, provider, 400, body, reqId);
    state.requests[provider] += 1;
    state.inFlight += 1;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    try {
      const faults = effectiveFaults(state.faults, provider);
      await handleChat({ provider, faults, latency, rng, logger: opts.logger, wait }, body, res);
    } finally {
      state.inFlight -= 1;
    }
  }

  async function control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET') return sendJson(res, 200, state.faults);
    if (req.method !== 'PUT')
      return sendJson(res, 405, { error: 'use GET or PUT' }, { allow: 'GET, PUT' });
    const raw = await readBody(req, 64 * 1024);
    if (!raw.ok) return sendJson(res, raw.status, { error: raw.reason });
    const json = parseJson(raw.text);
    if (!json.ok) return sendJson(res, 400, { error: json.reason });
    const parsed = parseFaults(json.value);
    if (!parsed.ok) return sendJson(res, 400, { error: `invalid faults: ${parsed.error}` });
    state.faults = Object.freeze(parsed.faults);
    opts.logger?.info({ faults: state.faults }, 'LLM simulator faults set');
    return sendJson(res, 200, state.faults);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://sim').pathname;
    if (path === '/__control/faults') return control(req, res);
    if (path === '/__control/stats' && req.method === 'GET') return sendJson(res, 200, stats());
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    const provider = providerOf(path, req);
    if (!provider)
      return sendJson(res, 404, {
        error: { message: `no route for ${req.method} ${path}`, type: 'not_found' },
      });
    if (req.method !== 'POST')
      return sendProviderError(res, provider, 405, 'use POST', requestId(provider, rng));
    return chat(provider, req, res);
  }

  function stats(): SimulatorStats {
    const requests = { ...state.requests };
    const totalRequests = SIM_PROVIDERS.reduce((n, p) => n + requests[p], 0);
    return { requests, totalRequests, inFlight: state.inFlight, maxInFlight: state.maxInFlight };
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      opts.logger?.error({ err }, 'LLM simulator request failed');
      sendJson(res, 500, { error: { message: 'simulator internal error', type: 'server_error' } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    setFaults(faults) {
      const parsed = parseFaults(faults);
      if (!parsed.ok) throw new Error(`invalid faults: ${parsed.error}`);
      state.faults = Object.freeze(parsed.faults);
    },
    getFaults: () => state.faults,
    stats,
    resetStats() {
      state.requests = freshCounts();
      state.maxInFlight = state.inFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
