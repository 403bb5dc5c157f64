// A real PostgreSQL 15 for integration tests: its own temporary cluster (initdb) on a free port,
// started and awaited here, stopped (and its folder removed) by `close()`. `stop()` and `start()`
// restart the same cluster on the same port, for tests of what a client does across an outage.
//
// PostgreSQL refuses to run as root. As root, the data folder is chowned to the `postgres` user,
// initdb runs through `runuser -u postgres`, and the server is spawned with that user's uid/gid
// directly (not through runuser, which would sit between us and the postmaster: a signal meant for
// the server would reach runuser instead). As anyone else, both run as the current user.
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, launch, tail, type ManagedProcess } from './process.js';

/** PG_BIN, else the newest Debian install (15 on bookworm; a later release may ship a newer one). */
function pgBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return path.join(root, versions[0] ?? '15', 'bin');
}
const PG_BIN = pgBin();
const READY_LINE = 'database system is ready to accept connections';
/** The cluster's superuser; its password is in every URL, so tests can check it is never logged. */
export const PG_USER = 'canary';
export const PG_PASSWORD = 'pg-secret-4c1d';

export interface PostgresHandle {
  readonly port: number;
  readonly dir: string;
  /** postgres://canary:…@127.0.0.1:<port>/<database>; `postgres` by default. */
  url(database?: string): string;
  /** Creates an empty database (one per test keeps tests apart) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs one statement as the superuser on `database`. */
  query(sql: string, params?: unknown[], database?: string): Promise<pg.QueryResult>;
  /** Fast shutdown (SIGINT): every client is disconnected. */
  stop(): Promise<void>;
  /** Starts the same cluster again, on the same port. */
  start(): Promise<void>;
  /** Stops the server and removes its folder. */
  close(): Promise<void>;
  output(): string;
}

export class MissingPostgresError extends Error {}

function owner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
  return { uid: id('-u'), gid: id('-g') };
}

function initCluster(dir: string, as: { uid: number; gid: number } | undefined): void {
  const pwfile = path.join(dir, 'pwfile');
  writeFileSync(pwfile, `${PG_PASSWORD}\n`, { mode: 0o600 });
  if (as) {
    chownSync(dir, as.uid, as.gid);
    chownSync(pwfile, as.uid, as.gid);
  }
  const initdb = path.join(PG_BIN, 'initdb');
  const args = [
    ...['-D', path.join(dir, 'data'), '-U', PG_USER, `--pwfile=${pwfile}`],
    ...['--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync'],
  ];
  try {
    if (as) execFileSync('runuser', ['-u', 'postgres', '--', initdb, ...args], { stdio: 'pipe' });
    else execFileSync(initdb, args, { stdio: 'pipe' });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`initdb failed: ${e.stderr?.toString() ?? e.message}`, { cause: err });
  }
}

async function waitForReady(proc: ManagedProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.output().includes(READY_LINE)) {
    if (proc.exited())
      throw new Error(`postgres exited before it was ready:\n${tail(proc.output())}`);
    if (Date.now() > deadline) {
      await proc.stop();
      throw new Error(`postgres not ready after ${timeoutMs} ms:\n${tail(proc.output())}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface PostgresOptions {
  /** The address it listens on and its URLs name; 127.0.0.1 by default (a drill's own address). */
  readonly host?: string;
}

export async function startPostgres(o: PostgresOptions = {}): Promise<PostgresHandle> {
  const host = o.host ?? '127.0.0.1';
  if (!existsSync(path.join(PG_BIN, 'postgres')))
    throw new MissingPostgresError(
      `no PostgreSQL at ${PG_BIN}: install it with scripts/ensure-tools.sh (apt-get install postgresql) or set PG_BIN`,
    );
  const as = owner();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canary-pg-'));
  initCluster(dir, as);
  // initdb lets in loopback only; clients of a drill connect from their own addresses.
  if (host !== '127.0.0.1')
    appendFileSync(path.join(dir, 'data', 'pg_hba.conf'), 'host all all 0.0.0.0/0 scram-sha-256\n');
  const port = await freePort();
  const data = path.join(dir, 'data');
  let proc: ManagedProcess | undefined;

  const start = async () => {
    const args = [
      ...['-D', data, '-p', String(port), '-k', dir],
      ...['-c', `listen_addresses=${host}`, '-c', 'fsync=off', '-c', 'max_connections=200'],
    ];
    proc = launch(path.join(PG_BIN, 'postgres'), args, 'postgres', as ?? {});
    await waitForReady(proc);
  };
  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p) return;
    // SIGINT is PostgreSQL's fast shutdown: clients are disconnected, the cluster stays consistent.
    p.child.kill('SIGINT');
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
    await p.stop(20_000);
    clearTimeout(timer);
  };
  const url = (database = 'postgres') =>
    `postgres://${PG_USER}:${PG_PASSWORD}@${host}:${port}/${database}`;
  const query = async (sql: string, params: unknown[] = [], database?: string) => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return await client.query(sql, params);
    } finally {
      await client.end();
    }
  };

  try {
    await start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    dir,
    url,
    query,
    async createDatabase(name) {
      await query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      return url(name);
    },
    stop,
    start,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    output: () => proc?.output() ?? '',
  };
}
