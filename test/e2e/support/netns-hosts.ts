// Hosts for the multi-host drill: each a network namespace with its own address on one bridge
// (veth pairs), so processes talk over a network that a test can cut. Needs root and `ip netns`;
// where either is missing, or CANARY_DRILL_HOSTS=loopback asks for it, `createHosts` returns the
// single-host fallback (every "host" is 127.0.0.1 in this namespace) and says why, and a test
// names that in its title.
//
// The root namespace holds the bridge and the addresses of the shared services (PostgreSQL,
// Prometheus) and of the test runner (traffic, the LLM simulator). A cut is a blackhole route
// inside one host's namespace: packets to that address vanish (a partition: no reset, no error),
// which is what a pulled cable or a dropped firewall rule does to an open connection.
import { execFileSync } from 'node:child_process';

export interface Hosts {
  readonly kind: 'netns' | 'loopback';
  /** Why the fallback was taken; undefined with namespaces. */
  readonly fallbackReason: string | undefined;
  /** The address of a namespaced host, or of `runner`, `postgres`, `prometheus` (root namespace). */
  address(host: string): string;
  /** The command prefix that runs a program on `host` (execs: the pid is the program's). */
  prefix(host: string): readonly string[];
  /** Packets from `host` to `address` vanish from now on. */
  cut(host: string, address: string): void;
  restore(host: string, address: string): void;
  teardown(): void;
}

const ROOT_HOSTS = { runner: 1, postgres: 2, prometheus: 3 } as const;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

const loopback = (reason: string): Hosts => ({
  kind: 'loopback',
  fallbackReason: reason,
  address: () => '127.0.0.1',
  prefix: () => [],
  cut: () => {
    throw new Error(`cannot cut a host off in the single-host fallback (${reason})`);
  },
  restore: () => undefined,
  teardown: () => undefined,
});

export function createHosts(names: readonly string[]): Hosts {
  if (process.env.CANARY_DRILL_HOSTS === 'loopback')
    return loopback('CANARY_DRILL_HOSTS=loopback asked for it');
  if (process.getuid?.() !== 0) return loopback('not root: network namespaces need root');
  // Names unique to this run (interface names are at most 15 characters).
  const tag = String(process.pid % 100_000);
  const net = `10.77.${process.pid % 250}`;
  const bridge = `cbr${tag}`;
  const ns = (host: string) => `canary-${tag}-${host}`;
  const made: string[] = [];
  let bridgeMade = false;
  const teardown = () => {
    for (const n of made.splice(0)) {
      try {
        ip('netns', 'del', n); // takes its end of the veth pair, and so the pair, with it
      } catch {
        // already gone
      }
    }
    if (bridgeMade) {
      bridgeMade = false;
      try {
        ip('link', 'del', bridge);
      } catch {
        // already gone
      }
    }
  };
  const addr = new Map<string, string>(
    Object.entries(ROOT_HOSTS).map(([h, i]) => [h, `${net}.${i}`]),
  );
  try {
    ip('link', 'add', bridge, 'type', 'bridge');
    bridgeMade = true;
    for (const a of Object.values(ROOT_HOSTS)) ip('addr', 'add', `${net}.${a}/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    names.forEach((host, i) => {
      const n = ns(host);
      const outer = `cv${tag}h${i}`;
      const inner = `ci${tag}h${i}`;
      const a = `${net}.${20 + i}`;
      ip('netns', 'add', n);
      made.push(n);
      ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
      ip('link', 'set', inner, 'netns', n);
      ip('link', 'set', outer, 'master', bridge);
      ip('link', 'set', outer, 'up');
      ip('-n', n, 'addr', 'add', `${a}/24`, 'dev', inner);
      ip('-n', n, 'link', 'set', inner, 'up');
      ip('-n', n, 'link', 'set', 'lo', 'up');
      addr.set(host, a);
    });
  } catch (err) {
    teardown();
    const e = err as { stderr?: Buffer; message: string };
    return loopback(`ip netns failed: ${(e.stderr?.toString() || e.message).trim()}`);
  }
  const known = (host: string) => {
    const a = addr.get(host);
    if (!a) throw new Error(`no host ${host} in this drill`);
    return a;
  };
  return {
    kind: 'netns',
    fallbackReason: undefined,
    address: known,
    prefix: (host) => (host in ROOT_HOSTS ? [] : ['ip', 'netns', 'exec', ns(host)]),
    cut: (host, address) => ip('-n', ns(host), 'route', 'add', 'blackhole', `${address}/32`),
    restore: (host, address) => ip('-n', ns(host), 'route', 'del', 'blackhole', `${address}/32`),
    teardown,
  };
}
