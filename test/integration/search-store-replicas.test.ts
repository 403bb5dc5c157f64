// Several search service replicas opening one new SQLite database at the same moment (what
// `docker-compose up --scale service=3` does on a fresh volume): exactly one migrates and seeds,
// the others wait for it and serve the same rows. Real processes, real files.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/search/contacts/store.js';
import { eventually } from '../harness/index.js';

const FIXTURE = path.resolve('test/fixtures/open-contacts-store.ts');
const dir = mkdtempSync(path.join(os.tmpdir(), 'store-replicas-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Opened {
  applied: number;
  seeded: number;
  counts: { contacts: number; users: number };
}

/** Starts one opener; resolves `ready` when it waits for "go", `done` with what it printed. */
function opener(file: string, contacts: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, file, String(contacts)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    if (out.includes('ready\n')) onReady();
  });
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const done = new Promise<Opened>((resolve, reject) =>
    child.once('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out.split('\n')[1]!) as Opened)
        : reject(new Error(`opener exited ${code}:\n${err}`)),
    ),
  );
  return { pid: child.pid!, ready, done, go: () => child.stdin.end('go\n') };
}

/** True once process `pid` holds `file` open (Linux: a link in /proc/<pid>/fd). */
function holdsOpen(pid: number, file: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

describe('three replicas opening one new contacts database at once', () => {
  it('migrate and seed it once; every replica then sees the same rows', async () => {
    const file = path.join(dir, 'contacts.sqlite');
    // Enough rows that seeding lasts long (about a second) and every opener starts inside it.
    const contacts = 20_000;
    // The file exists, empty, and this test holds its write lock while the three start: all of
    // them are then waiting at the same point, so they truly race when it is released.
    const gate = openDatabase(file);
    gate.exec('BEGIN IMMEDIATE');
    const openers = [1, 2, 3].map(() => opener(file, contacts));
    try {
      await Promise.all(openers.map((o) => o.ready));
      for (const o of openers) o.go();
      await eventually(() => openers.every((o) => holdsOpen(o.pid, file)) || undefined, {
        what: 'all three openers to have the database open',
        timeoutMs: 60_000,
      });
    } finally {
      gate.exec('COMMIT');
      gate.close();
    }
    const results = await Promise.all(openers.map((o) => o.done));
    // One of them did the work, the others found it done.
    expect(results.map((r) => r.seeded).sort((a, b) => a - b)).toEqual([0, 0, contacts]);
    expect(results.map((r) => r.applied).sort((a, b) => a - b)).toEqual([0, 0, 3]);
    for (const r of results) expect(r.counts).toEqual({ contacts, users: 30 });
  }, 120_000);
});
