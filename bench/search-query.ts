// npx tsx bench/search-query.ts [DB_FILE] — where a keyword search's SQLite time goes, in CPU time
// of this thread (steadier than wall time on a shared machine): the ranking query the service runs
// beside the same MATCH without ranking (count only). The difference is bm25(), whose first call in
// each query scans the whole doclist of every term to count the rows that hold it (its IDF), so it
// grows with the database, not with the number of matches. "cached" is the same search asked again
// through the result cache (src/search/contacts/result-cache.ts, with its data_version check).
// Without DB_FILE, seeds BENCH_CONTACTS (default 50000) into a temporary file first.
// BENCH_LOOP_QUERY='technology editor' [BENCH_LOOP=150] runs only that ranked search, over and over,
// for a native profiler: `perf record -g node --import tsx bench/search-query.ts DB_FILE`, then
// `perf report --children --sort symbol` (where inside SQLite the time goes).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openReadOnlyDatabase } from '../src/search/contacts/database.js';
import { keywordMatch } from '../src/search/contacts/fts-query.js';
import { prepareContactQueries } from '../src/search/contacts/queries.js';
import { ResultCache } from '../src/search/contacts/result-cache.js';
import { openContactsStore } from '../src/search/contacts/store.js';
import { BENCH_QUERIES } from './search-queries.js';

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function main(): Promise<void> {
  let file = process.argv[2];
  let tmp: string | undefined;
  if (!file) {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-query-'));
    file = path.join(tmp, 'contacts.sqlite');
    const contacts = Number(process.env.BENCH_CONTACTS ?? 50_000);
    await openContactsStore({ file, contacts, users: 100 }).store.close();
  }
  const db = openReadOnlyDatabase(file);
  try {
    const contacts = db.prepare('SELECT count(*) FROM contacts').pluck().get() as number;
    const queries = prepareContactQueries(db, () => {});
    const loopQuery = process.env.BENCH_LOOP_QUERY;
    if (loopQuery) {
      const times = Number(process.env.BENCH_LOOP ?? 150);
      const t = cpuMs();
      for (let i = 0; i < times; i++) queries.keywordSearch(loopQuery, 10);
      console.log(`${loopQuery}: ${((cpuMs() - t) / times).toFixed(2)} ms of CPU per search`);
      return;
    }
    const dataVersion = db.prepare('PRAGMA data_version').pluck();
    const cache = new ResultCache({
      maxRows: 20_000,
      version: () => dataVersion.get() as number,
    });
    const count = db
      .prepare('SELECT count(*) FROM contacts_fts WHERE contacts_fts MATCH ?')
      .pluck();
    const reps = Math.max(3, Math.round(2_000_000 / contacts));
    console.log(`\n${contacts} contacts; CPU ms per query, mean of ${reps} runs after one warm-up`);
    console.log(
      `${'query'.padEnd(34)}${'matches'.padStart(9)}${'match only'.padStart(12)}${'ranked top 10'.padStart(15)}${'cached'.padStart(9)}`,
    );
    let sumCount = 0;
    let sumRanked = 0;
    let sumCached = 0;
    for (const q of BENCH_QUERIES) {
      const match = keywordMatch(q, 'all')!;
      const n = count.get(match) as number;
      const time = (run: () => unknown, times = reps) => {
        run();
        const t = cpuMs();
        for (let i = 0; i < times; i++) run();
        return (cpuMs() - t) / times;
      };
      const c = time(() => count.get(match));
      const r = time(() => queries.keywordSearch(q, 10));
      const key = `k10 ${q}`;
      const cachedOnce = () => cache.get(key, async () => queries.keywordSearch(q, 10));
      await cachedOnce();
      const cached = time(() => void cachedOnce(), 10_000);
      sumCount += c;
      sumRanked += r;
      sumCached += cached;
      console.log(
        `${q.padEnd(34)}${String(n).padStart(9)}${c.toFixed(2).padStart(12)}${r.toFixed(2).padStart(15)}${cached.toFixed(4).padStart(9)}`,
      );
    }
    const k = BENCH_QUERIES.length;
    console.log(
      `${'mean'.padEnd(43)}${(sumCount / k).toFixed(2).padStart(12)}${(sumRanked / k).toFixed(2).padStart(15)}${(sumCached / k).toFixed(4).padStart(9)}\n`,
    );
  } finally {
    db.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
