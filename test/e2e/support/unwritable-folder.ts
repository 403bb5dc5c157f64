// Makes a folder refuse every write, for the drill "the flag file cannot be written at the moment
// of rollback". The obvious `chmod a-w` does not stop root (CAP_DAC_OVERRIDE ignores mode bits),
// and the tests run as root in CI, so:
// - as root: the immutable attribute (`chattr +i`), which stops root too: no file can be created,
//   renamed or removed in the folder, so the flag store's lock file, temp file and rename all fail
//   at once with EPERM, as on a read-only or broken volume;
// - as anyone else: `chmod a-w`, which is enough for a normal user.
// Holding the lock file from a live process would also block the write, but the store then waits
// for the lock (15 s) before each attempt fails; a failing file system is the quicker, sharper drill.
// Each method is checked by trying to create a file; if none works the caller is told why.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface UnwritableFolder {
  readonly method: 'chattr +i' | 'chmod a-w';
  restore(): void;
}

function writable(dir: string): boolean {
  const probe = path.join(dir, `.probe-${process.pid}`);
  try {
    writeFileSync(probe, 'x');
    rmSync(probe, { force: true });
    return true;
  } catch {
    return false;
  }
}

function tryChattr(dir: string): UnwritableFolder | undefined {
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'pipe' });
  } catch {
    return undefined; // no chattr, no CAP_LINUX_IMMUTABLE, or a file system without the attribute
  }
  const restore = () => execFileSync('chattr', ['-i', dir], { stdio: 'pipe' });
  if (!writable(dir)) return { method: 'chattr +i', restore };
  restore();
  return undefined;
}

function tryChmod(dir: string): UnwritableFolder | undefined {
  const mode = statSync(dir).mode & 0o7777;
  chmodSync(dir, mode & ~0o222);
  const restore = () => chmodSync(dir, mode);
  if (!writable(dir)) return { method: 'chmod a-w', restore };
  restore();
  return undefined;
}

/** Makes `dir` unwritable for this process (and so for the daemon, same user); throws if it cannot. */
export function makeUnwritable(dir: string): UnwritableFolder {
  const isRoot = process.getuid?.() === 0;
  const done = isRoot ? (tryChattr(dir) ?? tryChmod(dir)) : (tryChmod(dir) ?? tryChattr(dir));
  if (done) return done;
  throw new Error(
    `cannot make ${dir} unwritable here: chmod does not stop ${isRoot ? 'root' : 'this user'} and chattr +i is not available (needs CAP_LINUX_IMMUTABLE and ext4/xfs/btrfs)`,
  );
}
