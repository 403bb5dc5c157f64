// The two halves of "the kill switch always works" that need no store state: which change may
// repair a broken flag file (turning a flag off, alone), how the broken file is kept (moved aside
// beside it, never deleted), and what every other change is told instead.
import { copyFile, link, rename } from 'node:fs/promises';
import { constants } from 'node:fs';
import { fileKind } from '../shared/no-follow-files.js';
import { corruptPathFor, lastGoodPathFor, type FileState } from './flag-file-state.js';
import type { FlagChange } from './types.js';

type Broken = Extract<FileState, { kind: 'broken' }>;

/** Only `--value=false` alone may repair a broken file: nothing else is safe to guess. */
export function isKillSwitch(change: FlagChange): boolean {
  return change.value === false && change.percentage === undefined && change.segment === undefined;
}

export function refusal(
  file: string,
  state: Broken,
): { ok: false; code: 'corrupt'; error: string } {
  const lastGood =
    state.broken === 'missing' || state.broken === 'symlink'
      ? ''
      : ` The last successful write is kept in ${lastGoodPathFor(file)} (when it exists): copy it over the file to restore it.`;
  return {
    ok: false,
    code: 'corrupt',
    error:
      `${state.problem}. Nothing was written: fix the file (canary flags validate shows the problem) and try again. ` +
      `Turning a flag off (--value=false) still works on a broken file: it moves the file aside and writes a valid one.${lastGood}`,
  };
}

/** Keeps the broken file's bytes (or the link itself) beside it; link() leaves no gap in between. */
export async function moveAside(file: string, now: number): Promise<string> {
  const stamp = corruptPathFor(file, now);
  for (let n = 0; ; n++) {
    const aside = n === 0 ? stamp : `${stamp}-${n}`; // two repairs within one millisecond
    try {
      await link(file, aside); // the rename of the new file then replaces the old name atomically
      return aside;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && n < 100) continue;
      // No hard links here (some file systems), or a folder: copy a file, rename anything else.
      if ((await fileKind(file)) === 'file') await copyFile(file, aside, constants.COPYFILE_EXCL);
      else await rename(file, aside);
      return aside;
    }
  }
}
