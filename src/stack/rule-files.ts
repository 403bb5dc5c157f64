// The rule files the local stack loads: every rule file under rules/ (promtool test files sit
// next to them and are skipped), copied with scaled durations into data/rules-fast/ in fast mode.
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { scaleRuleFile, type ScaleOptions } from './fast-rules.js';

/** Rule files (with a top-level `groups:`) in `dir`, sorted; promtool test files are left out. */
export function findRuleFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/.test(n));
  } catch {
    throw new Error(`no rules directory at ${dir}: the stack needs rules/*.yml`);
  }
  const files = names
    .sort()
    .map((n) => path.join(dir, n))
    .filter((f) => {
      try {
        const doc = parse(readFileSync(f, 'utf8')) as unknown;
        return typeof doc === 'object' && doc !== null && 'groups' in doc;
      } catch {
        return true; // let Prometheus and the daemon report the broken file
      }
    });
  if (files.length === 0) throw new Error(`no rule files (with "groups:") in ${dir}`);
  return files;
}

/** Writes the scaled copies into `outDir` (emptied first) and returns their paths. */
export function writeFastRules(
  files: readonly string[],
  outDir: string,
  opts: ScaleOptions,
): string[] {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  return files.map((file) => {
    const out = path.join(outDir, path.basename(file));
    writeFileSync(out, scaleRuleFile(readFileSync(file, 'utf8'), file, opts));
    return out;
  });
}
