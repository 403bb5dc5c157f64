// Finding the Prometheus and Alertmanager binaries the local stack runs (Debian names first).
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface StackTools {
  readonly prometheus: string;
  readonly promtool: string | undefined;
  /** Optional: the stack runs without Alertmanager, the daemon then only logs notifications. */
  readonly alertmanager: string | undefined;
}

/** The first of `names` found executable on `searchPath`, as an absolute path. */
export function findExecutable(
  names: readonly string[],
  searchPath = process.env.PATH ?? '',
): string | undefined {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const full = path.join(dir, name);
      try {
        accessSync(full, constants.X_OK);
        return full;
      } catch {
        // not here; keep looking
      }
    }
  }
  return undefined;
}

export const INSTALL_HINT =
  'run `sh scripts/ensure-tools.sh` (or: sudo apt-get install -y prometheus prometheus-alertmanager)';

export function findStackTools(searchPath = process.env.PATH ?? ''): StackTools {
  const prometheus = findExecutable(['prometheus'], searchPath);
  if (prometheus === undefined) {
    throw new Error(`prometheus was not found on PATH: ${INSTALL_HINT}`);
  }
  return {
    prometheus,
    promtool: findExecutable(['promtool'], searchPath),
    alertmanager: findExecutable(['prometheus-alertmanager', 'alertmanager'], searchPath),
  };
}
