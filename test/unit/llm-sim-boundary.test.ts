// The LLM simulator stands in for the providers: it must not depend on the service it is used to
// test (a change to the service would silently change the simulator's answers). This follows every
// relative import (type-only ones too) from each file of src/llm-sim and fails on one that reaches
// into src/search.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SIM = path.join(ROOT, 'src/llm-sim');

function relativeImports(file: string): string[] {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const specs = [
    ...code.matchAll(/^\s*(?:import|export)\s[\s\S]*?from\s+['"](\.[^'"]+)['"]/gm),
    ...code.matchAll(/import\(\s*['"](\.[^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specs.map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
}

function reachable(entries: readonly string[]): Map<string, string> {
  const from = new Map<string, string>(entries.map((e) => [e, '(entry)']));
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    for (const dep of relativeImports(file)) {
      if (from.has(dep)) continue;
      from.set(dep, file);
      queue.push(dep);
    }
  }
  return from;
}

describe('the LLM simulator does not depend on the service', () => {
  it('no module it loads is under src/search', () => {
    const entries = readdirSync(SIM)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(SIM, f));
    expect(entries.length).toBeGreaterThan(5);
    const loaded = reachable(entries);
    const intoService = [...loaded]
      .filter(([file]) => file.startsWith(path.join(ROOT, 'src/search') + path.sep))
      .map(([file, by]) => `${path.relative(ROOT, by)} → ${path.relative(ROOT, file)}`);
    expect(intoService).toEqual([]);
    // It still reports OpenRouter's cost from the one price table.
    expect([...loaded.keys()]).toContain(path.join(ROOT, 'src/shared/llm-prices.ts'));
  });
});
