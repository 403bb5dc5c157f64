// Searches from a chosen client address. The service keys its per-client request limit and its
// per-client share of LLM calls on the address a request comes from, so a drill that pits one
// hostile client against many honest ones must send them from different addresses. On Linux the
// whole of 127.0.0.0/8 is the loopback interface: binding 127.0.1.7 as the source address of a
// connection to 127.0.0.1 is enough (no setup, no privileges).
import http from 'node:http';

export interface ClientRequest {
  /** Path and query, e.g. `/api/search?q=…&limit=5`. */
  readonly path: string;
  readonly userId: string;
  readonly address: string;
}

export interface ClientAnswer {
  readonly sentAt: number;
  readonly kind: string;
  /** 0 when the request failed before an HTTP answer (refused, reset, timed out). */
  readonly status: number;
  readonly mode?: string;
  readonly degradedReason?: string;
}

export class ClientPool {
  private readonly agents = new Map<string, http.Agent>();
  constructor(private readonly serviceUrl: string) {}

  /** One GET; never rejects (a failure is status 0). */
  get(r: ClientRequest, kind: string): Promise<ClientAnswer> {
    const sentAt = Date.now();
    const url = new URL(this.serviceUrl);
    return new Promise((resolve) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: r.path,
          method: 'GET',
          headers: { 'x-user-id': r.userId },
          localAddress: r.address,
          agent: this.agent(r.address),
          timeout: 10_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            let body: { mode?: string; degradedReason?: string } = {};
            try {
              body = JSON.parse(text) as typeof body;
            } catch {
              // not JSON: the status says enough
            }
            resolve({ sentAt, kind, status, mode: body.mode, degradedReason: body.degradedReason });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', () => resolve({ sentAt, kind, status: 0 }));
      req.end();
    });
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
  }

  private agent(address: string): http.Agent {
    let a = this.agents.get(address);
    if (!a) this.agents.set(address, (a = new http.Agent({ keepAlive: true, maxSockets: 8 })));
    return a;
  }
}

/** Calls `send(i)` `perSecond` times a second until stopped; waits for the last ones on stop. */
export function paced(perSecond: number, send: (i: number) => Promise<unknown>) {
  const inFlight = new Set<Promise<unknown>>();
  let i = 0;
  const timer = setInterval(
    () => {
      if (inFlight.size >= 100) return; // a stalled service is not flooded
      const p = send(i++).finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    Math.max(5, Math.round(1000 / perSecond)),
  );
  return {
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}
