// Ports of the local stack: checked before anything starts, so a busy port is one clear message
// naming it rather than a child process dying with EADDRINUSE in a log file.
import net from 'node:net';

export interface StackPorts {
  readonly service: number;
  readonly daemon: number;
  readonly llmSim: number;
  readonly prometheus: number;
  readonly alertmanager: number;
}

export const DEFAULT_PORTS: StackPorts = Object.freeze({
  service: 3000,
  daemon: 3100,
  llmSim: 3200,
  prometheus: 9090,
  alertmanager: 9093,
});

export class PortInUseError extends Error {
  constructor(
    readonly what: string,
    readonly port: number,
  ) {
    super(
      `port ${port} (${what}) is already in use: stop whatever listens there ` +
        `(\`ss -ltnp 'sport = :${port}'\` shows it) or choose another port`,
    );
    this.name = 'PortInUseError';
  }
}

/** Resolves true when something can listen on 127.0.0.1:port right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS says is free now (for tests and `--ports free`). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function assertPortsFree(ports: Readonly<Record<string, number>>): Promise<void> {
  const seen = new Map<number, string>();
  for (const [what, port] of Object.entries(ports)) {
    const other = seen.get(port);
    if (other !== undefined) {
      throw new Error(`port ${port} is given to both ${other} and ${what}: give each its own`);
    }
    seen.set(port, what);
    if (!(await isPortFree(port))) throw new PortInUseError(what, port);
  }
}
