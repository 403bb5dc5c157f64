// npx tsx bench/search-query.ts [DB_FILE] — where a keyword search's time goes, in CPU time of this
// thread (steadier than wall time on a shared machine): the same MATCH without ranking (count
// only), FTS5's ranking query (bm25(), the baseline: its first call in each query scans the whole
// doclist of every term to count the rows that hold it, its IDF, so it grows with the database, not
// with the number of matches), and what the service runs (the keyword postings of
// src/search/contacts/term-index.ts, with the rows), with their ratio. "cached" is the same search
// asked again through the result cache (src/search/contacts/result-cache.ts, with its data_version
// check). Then BENCH_DISTINCT (300) never-repeated queries both ways, and how many got the same
// scores as served (3 decimals) from both.
// Without DB_FILE, seeds BENCH_CONTACTS (default 50000) into a temporary file first.
// BENCH_LOOP_QUERY='technology editor' [BENCH_LOOP=150] runs only that ranked search, over and over,
// for a native profiler: `perf record -g node --import tsx bench/search-query.ts DB_FILE`, then
// `perf report --children --sort symbol` (where inside SQLite the time goes).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openReadOnlyDatabase } from '../src/search/contacts/database.js';
import { keywordMatch } from '../src/search/contacts/fts-query.js';
import {
  prepareContactQueries,
  prepareFtsRanking,
  type ContactHit,
} from '../src/search/contacts/queries.js';
import { ResultCache } from '../src/search/contacts/result-cache.js';
import { openContactsStore } from '../src/search/contacts/store.js';
import { BENCH_QUERIES, distinctQueries } from './search-queries.js';

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
    // FTS5's ranking, as the service ran it before the postings (and still does when they are
    // out of date): all words, else any.
    const ftsRanked = prepareFtsRanking(db);
    const fts = (q: string, limit: number) => {
      const all = ftsRanked(keywordMatch(q, 'all')!, limit);
      return all.length > 0 ? all : ftsRanked(keywordMatch(q, 'any')!, limit);
    };
    const reps = Math.max(3, Math.round(2_000_000 / contacts));
    console.log(`\n${contacts} contacts; CPU ms per query, mean of ${reps} runs after warm-up`);
    console.log(
      `${'query'.padEnd(34)}${'matches'.padStart(9)}${'match only'.padStart(12)}${'FTS5 top 10'.padStart(13)}${'postings'.padStart(10)}${'ratio'.padStart(7)}${'cached'.padStart(9)}`,
    );
    // Both ways compiled before anything is timed (otherwise the first queries time the JIT).
    for (let i = 0; i < 20; i++) {
      for (const q of BENCH_QUERIES) {
        fts(q, 10);
        queries.keywordSearch(q, 10);
      }
    }
    let sumCount = 0;
    let sumFts = 0;
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
      const f = time(() => fts(q, 10));
      const r = time(() => queries.keywordSearch(q, 10));
      const key = `k10 ${q}`;
      const cachedOnce = () => cache.get(key, async () => queries.keywordSearch(q, 10));
      await cachedOnce();
      const cached = time(() => void cachedOnce(), 10_000);
      sumCount += c;
      sumFts += f;
      sumRanked += r;
      sumCached += cached;
      console.log(
        `${q.padEnd(34)}${String(n).padStart(9)}${c.toFixed(2).padStart(12)}${f.toFixed(2).padStart(13)}${r.toFixed(2).padStart(10)}${(f / r).toFixed(1).padStart(6)}×${cached.toFixed(4).padStart(9)}`,
      );
    }
    const k = BENCH_QUERIES.length;
    console.log(
      `${'mean'.padEnd(43)}${(sumCount / k).toFixed(2).padStart(12)}${(sumFts / k).toFixed(2).padStart(13)}${(sumRanked / k).toFixed(2).padStart(10)}${(sumFts / sumRanked).toFixed(1).padStart(6)}×${(sumCached / k).toFixed(4).padStart(9)}\n`,
    );
    // Never repeated: each query once per way, alternating which runs first.
    const distinct = distinctQueries().slice(0, Number(process.env.BENCH_DISTINCT ?? 300));
    let cpuFts = 0;
    let cpuPostings = 0;
    let same = 0;
    for (const [i, q] of distinct.entries()) {
      const runs: [() => ContactHit[], (ms: number) => void][] = [
        [() => fts(q, 10), (ms) => (cpuFts += ms)],
        [() => queries.keywordSearch(q, 10), (ms) => (cpuPostings += ms)],
      ];
      if (i % 2 === 1) runs.reverse();
      const answers = runs.map(([run, add]) => {
        const t = cpuMs();
        const hits = run();
        add(cpuMs() - t);
        return hits;
      });
      const [a, b] = i % 2 === 1 ? [answers[1]!, answers[0]!] : [answers[0]!, answers[1]!];
      // Scores as served (−bm25 rounded to 3 decimals); ids may differ among equal scores.
      if (a.length === b.length && a.every((h, j) => Math.abs(h.score - b[j]!.score) < 0.0005)) {
        same++;
      }
    }
    const n = distinct.length;
    console.log(
      `never repeated (${n} queries): FTS5 ${(cpuFts / n).toFixed(2)} ms, postings ${(cpuPostings / n).toFixed(2)} ms of CPU per search (${(cpuFts / cpuPostings).toFixed(1)}×); same scores ${same} of ${n}\n`,
    );
  } finally {
    db.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
