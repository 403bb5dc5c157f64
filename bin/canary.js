#!/usr/bin/env node
// Entry point for `npx canary`. Runs the TypeScript sources directly through tsx's loader, so the
// command works right after `npm ci` with no build step. A built copy (npm run build) is used
// instead when CANARY_USE_DIST=1, for images that ship dist/ only.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist/cli/main.js`;

if (process.env.CANARY_USE_DIST === '1' && existsSync(dist)) {
  await import(pathToFileURL(dist).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(`${root}src/cli/main.ts`).href);
}
