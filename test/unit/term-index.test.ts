// The pure parts of the keyword postings: SQLite varints and FTS5's averages record (row count,
// then one token total per column), read as bm25() reads them; an unreadable record is "unknown",
// which sends searches to FTS5 instead of failing them.
import { describe, expect, it } from 'vitest';
import { decodeAverages, readTotals, readVarint } from '../../src/search/contacts/term-index.js';

describe('keyword postings, pure parts', () => {
  it('reads SQLite varints: one byte, several, and the nine-byte form', () => {
    expect(readVarint(Uint8Array.from([0x05]), 0)).toEqual([5, 1]);
    expect(readVarint(Uint8Array.from([0x83, 0x86, 0x50]), 0)).toEqual([50_000, 3]);
    expect(readVarint(Uint8Array.from([0x00, 0x81, 0x00]), 1)).toEqual([128, 3]);
    const nine = Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x81, 0x01]);
    expect(readVarint(nine, 0)).toEqual([257, 9]);
    expect(() => readVarint(Uint8Array.from([0x83]), 0)).toThrow('truncated varint');
  });

  it('reads the averages record: rows, then the token totals of every column added', () => {
    // 50,000 rows; 8 columns of 1, 2, ..., 8 tokens.
    const block = Buffer.from([0x83, 0x86, 0x50, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(decodeAverages(block, 8)).toEqual({ rows: 50_000, tokens: 36 });
    expect(readTotals(block)).toEqual({ rows: 50_000, tokens: 36 });
    expect(decodeAverages(Buffer.alloc(0), 8)).toEqual({ rows: 0, tokens: 0 });
  });

  it('calls an absent or cut-short record unknown instead of throwing', () => {
    expect(readTotals(undefined)).toBeUndefined();
    expect(readTotals(Buffer.from([0x83]))).toBeUndefined();
    expect(readTotals(Buffer.from([0x83, 0x86, 0x50, 1, 2]))).toBeUndefined();
  });
});
