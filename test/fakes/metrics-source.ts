// A metrics endpoint the test controls, scraped by a real Prometheus: gauges set directly and
// counters that grow by a set amount per second, in the Prometheus text format.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MetricsSource {
  /** host:port, as a Prometheus scrape target. */
  readonly target: string;
  set(name: string, value: number, labels?: Record<string, string>): void;
  /** Adds `n` series (name{i="0".."n-1"}) with `value`, for benches. */
  setMany(name: string, n: number, value: number): void;
  close(): Promise<void>;
}

export async function startMetricsSource(): Promise<MetricsSource> {
  const series = new Map<string, { name: string; labels: string; value: number }>();
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') return res.writeHead(404).end();
    const byName = new Map<string, string[]>();
    for (const s of series.values()) {
      const lines = byName.get(s.name) ?? [];
      lines.push(`${s.name}${s.labels} ${formatValue(s.value)}`);
      byName.set(s.name, lines);
    }
    const body = [...byName]
      .map(([name, lines]) => `# TYPE ${name} gauge\n${lines.join('\n')}`)
      .join('\n');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${body}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const labelText = (labels: Record<string, string>) => {
    const parts = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    return parts.length ? `{${parts.join(',')}}` : '';
  };
  const set = (name: string, value: number, labels: Record<string, string> = {}) => {
    const l = labelText(labels);
    series.set(name + l, { name, labels: l, value });
  };
  return {
    target: `127.0.0.1:${port}`,
    set,
    setMany(name, n, value) {
      for (let i = 0; i < n; i++) set(name, value, { i: String(i) });
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
