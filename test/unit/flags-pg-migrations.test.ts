// The flag store's migration files: named and numbered strictly, applied in order, and a database
// from a newer program refused rather than written to.
import { describe, expect, it } from 'vitest';
import {
  loadMigrations,
  orderMigrations,
  pendingMigrations,
} from '../../src/flags/postgres/migrations.js';

describe('flag store migrations', () => {
  it('the shipped files are 1..n in order', () => {
    const all = loadMigrations();
    expect(all.map((m) => m.version)).toEqual(all.map((_, i) => i + 1));
    expect(all[0]!.sql).toMatch(/CREATE TABLE flags/);
  });

  it('orders by number and refuses gaps, repeats and bad names', () => {
    const f = (file: string) => ({ file, sql: '' });
    expect(orderMigrations([f('0002_b.sql'), f('0001_a.sql')]).map((m) => m.name)).toEqual([
      'a',
      'b',
    ]);
    expect(() => orderMigrations([f('0001_a.sql'), f('0003_c.sql')])).toThrow(/without gaps/);
    expect(() => orderMigrations([f('0001_a.sql'), f('0001_b.sql')])).toThrow(
      /without gaps or repeats/,
    );
    expect(() => orderMigrations([f('1_a.sql')])).toThrow(/NNNN_words.sql/);
  });

  it('runs only what is pending, and refuses a newer schema', () => {
    const all = orderMigrations([
      { file: '0001_a.sql', sql: '' },
      { file: '0002_b.sql', sql: '' },
    ]);
    expect(pendingMigrations(all, new Set([1])).map((m) => m.version)).toEqual([2]);
    expect(pendingMigrations(all, new Set([1, 2]))).toEqual([]);
    expect(() => pendingMigrations(all, new Set([1, 2, 3]))).toThrow(
      /version 3, newer than this program knows \(2\)/,
    );
  });
});
