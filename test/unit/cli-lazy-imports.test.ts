// `canary --help` and the kill switch (`canary flags update … --value=false`) must start fast, so
// the CLI's registration modules load commander and nothing else at start-up; each command loads
// what it runs inside its action with `await import(…)`. This walks the static imports from
// src/cli/main.ts the way Node does (`import type` is erased; `import { type X }` is NOT, under
// verbatimModuleSyntax) and fails on any package other than commander.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ALLOWED_PACKAGES = new Set(['commander']);

/** Module specifiers a file loads when it is loaded (static imports and re-exports). */
export function staticImports(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const re = /^\s*(?:import|export)\s+(type\s+)?(?:[\s\S]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  for (const m of code.matchAll(re)) if (!m[1]) out.push(m[2]!);
  return out;
}

function loadedAtStartUp(entry: string): { files: string[]; packages: Map<string, string> } {
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImports(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.'))
        visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.set(spec, path.relative(ROOT, file));
    }
  };
  visit(entry);
  return { files: [...seen].map((f) => path.relative(ROOT, f)), packages };
}

describe('the CLI loads lazily', () => {
  it('reads import forms as Node does', () => {
    expect(
      staticImports(
        [
          "import type { A } from 'erased';",
          "import { type B } from 'kept-under-verbatim';",
          "import x, { y } from './x.js';",
          "export { z } from './z.js';",
          "export type { W } from 'erased-too';",
          "// import { c } from 'a-comment';",
          "const lazy = await import('lazy');",
        ].join('\n'),
      ),
    ).toEqual(['kept-under-verbatim', './x.js', './z.js']);
  });

  it('main.ts and every registration module load no package but commander', () => {
    const { files, packages } = loadedAtStartUp(path.join(ROOT, 'src/cli/main.ts'));
    const offending = [...packages].filter(([p]) => !ALLOWED_PACKAGES.has(p));
    expect(offending, 'move these imports inside the command action (await import)').toEqual([]);
    // Every command module is in the walk, so a new one is held to the same rule.
    expect(files).toContain('src/cli/commands/flags.ts');
    expect(files).toContain('src/cli/commands/ops.ts');
  });
});
