// The simulator's request handling: routing, the control API, per-provider request counts and
// in-flight tracking. server.ts only listens and closes.
//
// Which provider a chat completion "is": OpenRouter when the path starts with /openrouter or the
// request carries OpenRouter's attribution headers (X-Title or HTTP-Referer, which our OpenRouter
// adapter always sends); otherwise OpenAI. /v1/messages is always Anthropic.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../shared/logger.js';
import { findLooseNumber, looseNumberReason } from '../shared/plain-number.js';
import {
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
import type { Rng } from './rng.js';

export interface SimulatorStats {
  /** Chat requests that reached the model (valid body, authenticated), per provider. */
  readonly requests: Readonly<Record<SimProvider, number>>;
  readonly totalRequests: number;
  readonly inFlight: number;
  /** The most chat requests ever in flight at once since the last reset. */
  readonly maxInFlight: number;
}

const CONTROL_BODY_LIMIT = 64 * 1024;
/** The one fault field that is not a whole number. */
const FRACTION_FIELDS: ReadonlySet<string> = new Set(['errorRate']);
const MAX_TIMER_MS = 2_147_483_647;

function providerOf(path: string, req: IncomingMessage): SimProvider | undefined {
  const p = path.replace(/^\/openrouter(?=\/)/, '');
  if (p === '/v1/messages') return 'anthropic';
  if (p !== '/v1/chat/completions') return undefined;
  const attributed = !!req.headers['x-title'] || !!req.headers['http-referer'];
  return path.startsWith('/openrouter/') || attributed ? 'openrouter' : 'openai';
}

function authenticated(provider: SimProvider, req: IncomingMessage): boolean {
  if (provider === 'anthropic') return !!req.headers['x-api-key'] || !!req.headers.authorization;
  return /^Bearer \S+/.test(req.headers.authorization ?? '');
}

const freshCounts = (): Record<SimProvider, number> => ({ openai: 0, openrouter: 0, anthropic: 0 });

export class SimulatorApp {
  private faults: Faults = NO_FAULTS;
  private requests = freshCounts();
  private inFlight = 0;
  private maxInFlight = 0;
  /** Aborted on close, so held requests (latency, timeout mode) end at once. */
  private readonly closing = new AbortController();

  constructor(
    private readonly rng: Rng,
    private readonly latency: LatencyModel,
    private readonly logger: Logger | undefined,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname;
    if (path.startsWith('/__control/') && url.search !== '') {
      return sendJson(res, 400, { error: 'the control API takes no query parameters' });
    }
    if (path === '/__control/faults') return this.control(req, res);
    if (path === '/__control/stats') {
      if (req.method === 'GET') return sendJson(res, 200, this.stats());
      return sendJson(res, 405, { error: 'use GET' }, { allow: 'GET' });
    }
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    const provider = providerOf(path, req);
    if (!provider) {
      const message = `no route for ${req.method} ${path}`;
      return sendJson(res, 404, { error: { message, type: 'not_found' } });
    }
    if (req.method !== 'POST') {
      return sendProviderError(res, provider, 405, 'use POST', requestId(provider, this.rng));
    }
    return this.chat(provider, req, res);
  }

  setFaults(faults: unknown): Faults {
    const parsed = parseFaults(faults);
    if (!parsed.ok) throw new Error(`invalid faults: ${parsed.error}`);
    this.faults = Object.freeze(parsed.faults);
    return this.faults;
  }

  getFaults(): Faults {
    return this.faults;
  }

  stats(): SimulatorStats {
    const requests = { ...this.requests };
    const totalRequests = SIM_PROVIDERS.reduce((n, p) => n + requests[p], 0);
    return { requests, totalRequests, inFlight: this.inFlight, maxInFlight: this.maxInFlight };
  }

  resetStats(): void {
    this.requests = freshCounts();
    this.maxInFlight = this.inFlight;
  }

  close(): void {
    this.closing.abort();
  }

  private async chat(provider: SimProvider, req: IncomingMessage, res: ServerResponse) {
    const reqId = requestId(provider, this.rng);
    const fail = (status: number, reason: string) =>
      sendProviderError(res, provider, status, reason, reqId);
    const raw = await readBody(req);
    if (!raw.ok) return fail(raw.status, raw.reason);
    if (!authenticated(provider, req)) {
      return fail(401, 'Missing API key (any value works with the simulator)');
    }
    const json = parseJson(raw.text);
    if (!json.ok) return fail(400, json.reason);
    const body = validateChatBody(provider, json.value);
    if (typeof body === 'string') return fail(400, body);
    this.requests[provider] += 1;
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const faults = effectiveFaults(this.faults, provider);
      const wait = (ms: number, r: ServerResponse) => this.wait(ms, r);
      const ctx = {
        provider,
        faults,
        latency: this.latency,
        rng: this.rng,
        logger: this.logger,
        wait,
      };
      await handleChat(ctx, body, res);
    } finally {
      this.inFlight -= 1;
    }
  }

  private async control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET') return sendJson(res, 200, this.faults);
    if (req.method !== 'PUT') {
      return sendJson(res, 405, { error: 'use GET or PUT' }, { allow: 'GET, PUT' });
    }
    const raw = await readBody(req, CONTROL_BODY_LIMIT);
    if (!raw.ok) return sendJson(res, raw.status, { error: raw.reason });
    const json = parseJson(raw.text);
    if (!json.ok) return sendJson(res, 400, { error: json.reason });
    // zod sees only the parsed value: 1e2 and 100 alike. The spelling is checked on the text.
    const loose = findLooseNumber(raw.text, FRACTION_FIELDS);
    if (loose) return sendJson(res, 400, { error: looseNumberReason('body', loose) });
    const parsed = parseFaults(json.value);
    if (!parsed.ok) return sendJson(res, 400, { error: `invalid faults: ${parsed.error}` });
    this.faults = Object.freeze(parsed.faults);
    this.logger?.info({ faults: this.faults }, 'LLM simulator faults set');
    return sendJson(res, 200, this.faults);
  }

  /** Resolves after ms, or early when the client goes away or the simulator closes. */
  private wait(ms: number, res: ServerResponse): Promise<void> {
    const closing = this.closing.signal;
    return new Promise<void>((resolve) => {
      if (res.destroyed || closing.aborted) return resolve();
      const timer = ms < MAX_TIMER_MS ? setTimeout(done, Math.max(0, ms)) : undefined;
      res.on('close', done);
      closing.addEventListener('abort', done, { once: true });
      function done() {
        if (timer) clearTimeout(timer);
        res.off('close', done);
        closing.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}
