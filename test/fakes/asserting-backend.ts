// A stand-in for a Mimir or Thanos query front end that checks what each request carries: the path
// must sit under its prefix, the required headers must be there with their values, and the
// Authorization header must be the expected one. A request that falls short gets the status a
// real gateway gives (404 outside the prefix, 401 without auth, 400 without the tenant header)
// and is recorded as refused, so a test can assert both what was sent and that nothing was
// refused. What it answers is the smallest Prometheus-shaped body each endpoint needs; it also
// takes Alertmanager's POST /api/v2/alerts (Mimir's Alertmanager sits behind the same gateway).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** Why it was refused, or undefined when it was answered. */
  readonly refused: string | undefined;
}

export interface AssertingBackendOptions {
  /** e.g. '/prometheus'; '' for none. */
  readonly prefix: string;
  /** Header name (lower case) → value every request must carry. */
  readonly requiredHeaders?: Readonly<Record<string, string>>;
  /** The exact Authorization value required; undefined: none may be sent. */
  readonly authorization?: string;
  /** The value every instant query answers (one sample per batched expression). */
  readonly value?: number;
  /** global.external_labels served by status/config. */
  readonly externalLabels?: Readonly<Record<string, string>>;
}

export interface AssertingBackend {
  /** Base URL, prefix included. */
  readonly url: string;
  readonly requests: readonly SeenRequest[];
  close(): Promise<void>;
}

function refusal(
  req: IncomingMessage,
  path: string,
  o: AssertingBackendOptions,
): { status: number; why: string } | undefined {
  if (!path.startsWith(`${o.prefix}/api/v1/`) && path !== `${o.prefix}/api/v2/alerts`)
    return { status: 404, why: `path ${path} is not under ${o.prefix}/api/v1/ nor v2/alerts` };
  if ((req.headers.authorization ?? undefined) !== o.authorization)
    return { status: 401, why: `authorization ${req.headers.authorization ?? '(none)'}` };
  for (const [name, value] of Object.entries(o.requiredHeaders ?? {}))
    if (req.headers[name] !== value)
      return { status: 400, why: `${name}: ${String(req.headers[name] ?? '(none)')}` };
  return undefined;
}

function answer(api: string, params: URLSearchParams, o: AssertingBackendOptions): unknown {
  const now = Date.now() / 1000;
  switch (api) {
    case 'query': {
      const query = params.get('query') ?? '';
      // A batch tags each expression with __canary_q (src/canary/prometheus/query-batch.ts).
      const tags = [...query.matchAll(/"__canary_q", "(\d+)"/g)].map((m) => m[1]!);
      const labels = tags.length > 0 ? tags.map((t) => ({ __canary_q: t })) : [{}];
      const value = String(o.value ?? 0.5);
      return {
        resultType: 'vector',
        result: labels.map((metric) => ({ metric, value: [now, value] })),
      };
    }
    case 'query_range':
      return {
        resultType: 'matrix',
        result: [{ metric: {}, values: [[Number(params.get('start')), String(o.value ?? 0.5)]] }],
      };
    case 'series':
      return [{ __name__: 'x' }];
    case 'rules':
      return { groups: [] };
    case 'status/config': {
      const lines = Object.entries(o.externalLabels ?? {}).map(([k, v]) => `    ${k}: ${v}`);
      return { yaml: `global:\n  external_labels:\n${lines.join('\n')}\n` };
    }
    default:
      return undefined;
  }
}

export async function startAssertingBackend(o: AssertingBackendOptions): Promise<AssertingBackend> {
  const requests: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://stub');
      const body = Buffer.concat(chunks).toString('utf8');
      const refused = refusal(req, u.pathname, o);
      requests.push({
        method: req.method ?? '',
        path: u.pathname,
        headers: req.headers,
        body,
        refused: refused?.why,
      });
      const send = (status: number, payload: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      if (refused) return send(refused.status, { status: 'error', error: refused.why });
      if (u.pathname === `${o.prefix}/api/v2/alerts`) return send(200, {});
      const params = req.method === 'POST' ? new URLSearchParams(body) : u.searchParams;
      const data = answer(u.pathname.slice(`${o.prefix}/api/v1/`.length), params, o);
      if (data === undefined) return send(404, { status: 'error', error: 'unknown endpoint' });
      send(200, { status: 'success', data });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${o.prefix}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
