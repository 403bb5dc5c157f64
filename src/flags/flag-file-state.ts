// What is on disk at the flag file's path, as one closed union: a usable file (or none yet), or a
// broken one with its kind and a message naming the file and the problem. The last good copy
// (`<file>.last-good`, rewritten by every successful write) is read here too: it is where a kill
// switch on a broken file takes the other flags from.
import path from 'node:path';
import type { Config } from '../shared/config.js';
import { fileKind, NotRegularFileError, readFileNoFollow } from '../shared/no-follow-files.js';
import { parseFlagFile, type FlagSpecs } from './flag-file.js';
import { specFromBootstrap } from './rollout.js';
import { AI_SEARCH_FLAG, type BrokenKind } from './types.js';

export type FileState =
  | {
      readonly kind: 'ok';
      readonly exists: boolean;
      readonly specs: FlagSpecs;
      readonly text?: string;
    }
  | { readonly kind: 'broken'; readonly broken: BrokenKind; readonly problem: string };

/** `data/flags.json` → `data/flags.json.last-good`. */
export function lastGoodPathFor(file: string): string {
  return `${file}.last-good`;
}

/** `data/flags.json` → `data/flags.json.corrupt-2026-11-29T07-33-20.123Z` (no colons: portable). */
export function corruptPathFor(file: string, now: number): string {
  return `${file}.corrupt-${new Date(now).toISOString().replace(/:/g, '-')}`;
}

/** What an absent file means everywhere: the guide's bootstrap variables for the AI search flag. */
export function bootstrapSpecs(bootstrap: Config['bootstrap']): FlagSpecs {
  return new Map([[AI_SEARCH_FLAG, specFromBootstrap(bootstrap)]]);
}

/** An I/O failure that is not the file's fault (permissions, disk): never "repaired". */
export class FlagFileIoError extends Error {
  constructor(
    readonly file: string,
    override readonly cause: NodeJS.ErrnoException,
  ) {
    super(`cannot read ${file} (${cause.code ?? cause.message})`);
    this.name = 'FlagFileIoError';
  }
}

const SYMLINK_FIX =
  'flag files are never read or written through a link. Replace it with a regular file ' +
  '(cp --remove-destination "$(readlink -f F)" F), or turn the flag off, which moves the link aside';

function brokenText(text: string, file: string): FileState {
  if (text.trim() === '')
    return { kind: 'broken', broken: 'empty', problem: `${file}: the file is empty` };
  const parsed = parseFlagFile(text, file);
  if (parsed.ok) return { kind: 'ok', exists: true, specs: parsed.flags, text };
  let json = true;
  try {
    JSON.parse(text);
  } catch {
    json = false;
  }
  return { kind: 'broken', broken: json ? 'invalid' : 'not-json', problem: parsed.error };
}

/** The last good copy's flags, or undefined when there is none (or it is unusable too). */
export async function readLastGood(file: string): Promise<FlagSpecs | undefined> {
  const copy = lastGoodPathFor(file);
  const text = await readFileNoFollow(copy).catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = parseFlagFile(text, copy);
  return parsed.ok ? parsed.flags : undefined;
}

/** Reads and classifies the flag file; throws FlagFileIoError only for I/O trouble. */
export async function readFileState(
  file: string,
  bootstrap: Config['bootstrap'],
): Promise<FileState> {
  let text: string;
  try {
    text = await readFileNoFollow(file);
  } catch (err) {
    if (err instanceof NotRegularFileError) {
      const problem =
        err.kind === 'symlink'
          ? `${err.message}: ${SYMLINK_FIX.replace(/\bF\b/g, path.basename(file))}`
          : `${file} is not a regular file (a folder, FIFO or device is there): move it away`;
      return { kind: 'broken', broken: err.kind, problem };
    }
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new FlagFileIoError(file, err as NodeJS.ErrnoException);
    if ((await fileKind(lastGoodPathFor(file)).catch(() => 'missing')) !== 'missing') {
      return {
        kind: 'broken',
        broken: 'missing',
        problem: `${file} has disappeared, although a last good copy (${lastGoodPathFor(file)}) shows it existed; restore it with cp, or delete the copy too to start again from the bootstrap variables`,
      };
    }
    return { kind: 'ok', exists: false, specs: bootstrapSpecs(bootstrap) };
  }
  return brokenText(text, file);
}
