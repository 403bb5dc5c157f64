// npx tsx bench/seed.ts [CONTACTS] [FILE] — how long seeding a new contacts database takes (wall
// and CPU) and how big it gets, and the part the keyword postings took. Default 1,000,000 contacts
// into a temporary file, removed after.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openContactsStore } from '../src/search/contacts/store.js';
import { DEFAULT_USERS } from '../src/search/main.js';

const contacts = Number(process.argv[2] ?? 1_000_000);
const given = process.argv[3];
const dir = given ? undefined : mkdtempSync(path.join(os.tmpdir(), 'bench-seed-'));
const file = given ?? path.join(dir!, 'contacts.sqlite');
try {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const opened = openContactsStore({ file, contacts, users: DEFAULT_USERS });
  await opened.store.close();
  const wall = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  const { termIndex } = opened;
  const postings =
    termIndex.state === 'built'
      ? `keyword postings ${(termIndex.ms / 1000).toFixed(1)} s (${termIndex.postings} postings, ${termIndex.terms} terms)`
      : `keyword postings ${termIndex.state}${termIndex.state === 'failed' ? `: ${termIndex.error}` : ''}`;
  console.log(
    `${opened.seeded.contacts} contacts seeded into ${file}: ${wall.toFixed(1)} s wall, ${((used.user + used.system) / 1e6).toFixed(1)} s CPU, ${(statSync(file).size / 1e6).toFixed(0)} MB; of which ${postings}; load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  );
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
