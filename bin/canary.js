#!/usr/bin/env node
// Entry point for `npx canary` and every npm script. Two trees, one rule:
// - a production tree (`npm ci && npm run build && npm prune --omit=dev`, or an image) has dist/
//   and no tsx: the built JS runs, and nothing compiles at start-up;
// - a dev checkout has tsx: the TypeScript sources run, so an edit needs no build step and a
//   stale dist/ from an earlier `npm run build` is never picked by mistake.
// CANARY_USE_DIST=1 forces dist/ (e.g. to time the built CLI in a dev checkout: npm run bench:cli);
// CANARY_USE_DIST=0 forces the sources.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist/cli/main.js`;
const choice = process.env.CANARY_USE_DIST;

async function loadTsx() {
  try {
    return await import('tsx/esm/api');
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    return undefined;
  }
}

function fail(message) {
  console.error(`canary: ${message}`);
  process.exit(1);
}

const tsx = choice === '1' ? undefined : await loadTsx();
if (tsx) {
  tsx.register();
  await import(pathToFileURL(`${root}src/cli/main.ts`).href);
} else if (choice === '0') {
  fail('CANARY_USE_DIST=0 runs the sources through tsx, which is not installed: run `npm ci`');
} else if (existsSync(dist)) {
  await import(pathToFileURL(dist).href);
} else if (choice === '1') {
  fail(`CANARY_USE_DIST=1 but ${dist} does not exist: run \`npm run build\` first`);
} else {
  fail(
    'neither the built CLI (dist/, made by `npm run build`) nor tsx (a dev dependency, installed ' +
      'by `npm ci`) is here: run `npm run build` before `npm prune --omit=dev`',
  );
}
