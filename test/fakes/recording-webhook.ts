// A webhook receiver that records every POST (path + JSON body); it can be told to fail.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly path: string;
  readonly body: unknown;
}

export interface RecordingWebhook {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** HTTP status to answer with (200 by default). */
  status: number;
  close(): Promise<void>;
}

export async function startRecordingWebhook(): Promise<RecordingWebhook> {
  const requests: RecordedRequest[] = [];
  const state = { status: 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the raw text
      }
      requests.push({ path: req.url ?? '/', body });
      res.writeHead(state.status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get status() {
      return state.status;
    },
    set status(s: number) {
      state.status = s;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
