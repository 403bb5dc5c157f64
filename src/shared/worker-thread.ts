// Starting a worker thread from a module beside the caller, whether the program runs from the
// TypeScript sources (through tsx, as bin/canary.js does) or from the build in dist/.
import { Worker } from 'node:worker_threads';

/** `name` (without extension) beside `base` (the caller's import.meta.url), as .ts or .js. */
export const siblingModule = (name: string, base: string): URL =>
  new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);

/**
 * Starts a worker for `url`. A TypeScript module is loaded through tsx's loader, registered
 * inside the worker: loader hooks of the parent thread do not reach workers on Node 20.
 */
export function startWorker(url: URL, workerData: unknown): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
