// File access that never follows a symbolic link at the last path component. The flag file, its
// audit log and the daemon's state file live in a data folder; a link planted there (by a careless
// deploy or by someone with write access to that folder only) must not make us read or append to
// a file elsewhere. Reads and appends open with O_NOFOLLOW, so the check and the use are one system
// call (no lstat-then-open race). Whole-file writes go to a fresh temp file (O_CREAT|O_EXCL, which
// never follows a link) renamed into place: rename replaces a link itself, never its target.
// The folders above the file are trusted: only the last component is checked.
import { constants, type Stats } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';

const { O_RDONLY, O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;

/** A path that is a symbolic link (or a FIFO, device or folder) where a regular file belongs. */
export class NotRegularFileError extends Error {
  constructor(
    readonly file: string,
    readonly kind: 'symlink' | 'not-a-file',
  ) {
    super(
      kind === 'symlink'
        ? `${file} is a symbolic link; refusing to follow it (links in the data folder are never followed)`
        : `${file} is not a regular file`,
    );
    this.name = 'NotRegularFileError';
  }
}

export type FileKind = 'missing' | 'file' | 'symlink' | 'not-a-file';

export function kindOf(stats: Stats): Exclude<FileKind, 'missing'> {
  if (stats.isSymbolicLink()) return 'symlink';
  return stats.isFile() ? 'file' : 'not-a-file';
}

/** What is at `file` itself (the link, not its target). Other errors than ENOENT throw. */
export async function fileKind(file: string): Promise<FileKind> {
  try {
    return kindOf(await lstat(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
}

// ELOOP is Linux's and macOS's answer to O_NOFOLLOW on a link; FreeBSD answers EMLINK.
const isLinkRefusal = (err: unknown) =>
  ['ELOOP', 'EMLINK'].includes(String((err as NodeJS.ErrnoException).code));

/** O_NONBLOCK so a FIFO planted at the path cannot hang us; it is refused right after by fstat. */
async function openRegular(file: string, flags: number, mode?: number) {
  let handle;
  try {
    handle = await open(file, flags | O_NOFOLLOW | O_NONBLOCK, mode);
  } catch (err) {
    if (isLinkRefusal(err)) throw new NotRegularFileError(file, 'symlink');
    throw err;
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new NotRegularFileError(file, 'not-a-file');
  }
  return handle;
}

/** The file's text; ENOENT is thrown as usual, a link or a non-file as NotRegularFileError. */
export async function readFileNoFollow(file: string): Promise<string> {
  const handle = await openRegular(file, O_RDONLY);
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Appends and fsyncs, creating the file (mode 0644) if absent; never through a link. */
export async function appendFileNoFollow(file: string, text: string): Promise<void> {
  const handle = await openRegular(file, O_WRONLY | O_APPEND | O_CREAT, 0o644);
  try {
    await handle.write(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface AtomicWriteOptions {
  /** Runs after the temp file is on disk and before the rename; throwing abandons the write. */
  readonly beforeRename?: () => Promise<void>;
}

/**
 * Temp file in the same folder (so the rename is atomic), fsynced, renamed over `file`, and the
 * folder fsynced: readers see the old file or the new one, never half of one, even after a crash.
 */
export async function writeFileAtomic(
  file: string,
  text: string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`,
  );
  try {
    const handle = await open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await options.beforeRename?.();
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const dir = await open(path.dirname(file), 'r').catch(() => undefined);
  await dir?.sync().catch(() => undefined);
  await dir?.close();
}
