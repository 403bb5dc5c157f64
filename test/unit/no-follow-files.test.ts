// The shared no-follow file access: links and non-files at the path are refused, never followed,
// and whole-file writes replace a link instead of writing through it.
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { escapeControl } from '../../src/shared/escape-control.js';
import {
  appendFileNoFollow,
  NotRegularFileError,
  readFileNoFollow,
  writeFileAtomic,
} from '../../src/shared/no-follow-files.js';

let dir: string;
let target: string;
let link: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'no-follow-'));
  target = path.join(dir, 'target');
  link = path.join(dir, 'link');
  writeFileSync(target, 'precious');
  symlinkSync(target, link);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('no-follow file access', () => {
  it('reading or appending through a link is refused, naming the path', async () => {
    await expect(readFileNoFollow(link)).rejects.toThrow(new NotRegularFileError(link, 'symlink'));
    await expect(appendFileNoFollow(link, 'x')).rejects.toBeInstanceOf(NotRegularFileError);
    expect(readFileSync(target, 'utf8')).toBe('precious');
  });

  it('a dangling link is refused too, and nothing is created at its target', async () => {
    const dangling = path.join(dir, 'dangling');
    symlinkSync(path.join(dir, 'nowhere'), dangling);
    await expect(appendFileNoFollow(dangling, 'x')).rejects.toBeInstanceOf(NotRegularFileError);
    expect(() => lstatSync(path.join(dir, 'nowhere'))).toThrow(/ENOENT/);
  });

  it('a FIFO at the path is refused at once instead of hanging the reader', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expect(readFileNoFollow(fifo)).rejects.toThrow(/is not a regular file/);
  });

  it('an atomic write replaces a link with a regular file and leaves its target alone', async () => {
    await writeFileAtomic(link, 'new');
    expect(lstatSync(link).isFile()).toBe(true);
    expect(readFileSync(link, 'utf8')).toBe('new');
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(() => readlinkSync(link)).toThrow(/EINVAL/);
  });

  it('an atomic write abandoned before its rename leaves the old file and no temp file', async () => {
    writeFileSync(path.join(dir, 'f'), 'old');
    await expect(
      writeFileAtomic(path.join(dir, 'f'), 'new', {
        beforeRename: () => Promise.reject(new Error('lock lost')),
      }),
    ).rejects.toThrow('lock lost');
    expect(readFileSync(path.join(dir, 'f'), 'utf8')).toBe('old');
    expect(execFileSync('ls', ['-A', dir]).toString().split('\n').filter(Boolean).sort()).toEqual([
      'f',
      'link',
      'target',
    ]);
  });
});

describe('escapeControl', () => {
  it.each([
    ['plain text', 'plain text'],
    ['two\nlines', 'two\\nlines'],
    ['\x1b[2J\x1b[31mred', '\\x1b[2J\\x1b[31mred'],
    ['tab\there\r', 'tab\\there\\r'],
    ['c1 \x9b csi', 'c1 \\x9b csi'],
    ['bidi \u202e reversed', 'bidi \\u202e reversed'],
    ['ünïcode ok', 'ünïcode ok'],
  ])('%j → %j', (input, shown) => {
    expect(escapeControl(input)).toBe(shown);
  });
});
