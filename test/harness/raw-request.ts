// One HTTP request sent as written, without fetch's rules: a GET may carry a body, any header
// goes, and each request has a connection of its own (a refused huge body closes the server's end).
import { request as httpRequest } from 'node:http';

export interface RawRequest {
  readonly method: string;
  /** Path and query string, appended to the base URL as they are. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface RawAnswer {
  readonly status: number;
  readonly text: string;
}

export function rawRequest(baseUrl: string, r: RawRequest): Promise<RawAnswer> {
  // Node frames a GET or HEAD body only when told its length.
  const length =
    r.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(r.body)) };
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${baseUrl}${r.path}`,
      { method: r.method, headers: { ...r.headers, ...length }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}
