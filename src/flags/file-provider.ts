// An OpenFeature provider that evaluates the flag file with flagd's own engine and follows the
// file as it changes: fs.watch on the folder (the writer renames a new file into place, which a
// watch on the old file would miss) plus a slow poll in case the watch drops an event. A file that
// fails validation is not loaded: the last good definitions stay in force and the problem is kept
// for /readyz. A symlink at the path is never followed: it is reported like an invalid file. With no good definitions at all, every evaluation falls back to the code default
// (off, keyword search).
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { ProviderEvents } from '@openfeature/server-sdk';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import { NotRegularFileError, readFileNoFollow } from '../shared/no-follow-files.js';
import { bootstrapSpecs } from './flag-file-state.js';
import { parseFlagFile, renderFlagFile } from './flag-file.js';
import { FlagdEngineProvider } from './flagd-engine-provider.js';

/** How long to wait before believing that an invalid file is really broken, not mid-save. */
const SETTLE_MS = 150;

export interface FileProviderOptions {
  readonly path: string;
  readonly bootstrap: Config['bootstrap'];
  readonly logger: Logger;
  /** Safety-net poll interval; 2 s by default. */
  readonly pollMs?: number;
  /** Bursts of watch events within this window cause one reload; 20 ms by default. */
  readonly debounceMs?: number;
}

export class FileFlagProvider extends FlagdEngineProvider {
  readonly metadata = { name: 'canary-flag-file' } as const;
  private readonly file: string;
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private lastText: string | undefined;
  /** The engine holds definitions (from the file, or the bootstrap values before it exists). */
  private loadedOnce = false;
  /** An invalid text seen once: it may be an editor's half-written save, so it is looked at again. */
  private suspect: string | undefined;
  private recheck: NodeJS.Timeout | undefined;
  private fileSeen = false;
  private loadError: string | undefined;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private closed = false;

  constructor(private readonly opts: FileProviderOptions) {
    super(opts.logger);
    this.file = path.resolve(opts.path);
  }

  /** Why the file on disk is not what is being served, or undefined when it is. */
  get lastLoadError(): string | undefined {
    return this.loadError;
  }

  async initialize(): Promise<void> {
    await this.loadOnce(false);
    if (!this.loadedOnce && this.loadError === undefined) {
      this.opts.logger.warn(
        { file: this.file },
        `${this.file} does not exist yet: serving the bootstrap values until it is created`,
      );
      this.core.setConfigurations(renderFlagFile(bootstrapSpecs(this.opts.bootstrap)));
      this.loadedOnce = true;
    }
    this.startWatching();
  }

  async onClose(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    clearInterval(this.poller);
    clearTimeout(this.debounce);
    clearTimeout(this.recheck);
    await this.reloading;
  }

  private startWatching(): void {
    const base = path.basename(this.file);
    try {
      this.watcher = watch(path.dirname(this.file), { persistent: false }, (_event, name) => {
        if (name === null || name === base) this.schedule();
      });
      this.watcher.on('error', (err) => {
        this.opts.logger.warn(
          { err, file: this.file },
          'watching the flag file failed; the poll still picks up changes',
        );
      });
    } catch (err) {
      this.opts.logger.warn(
        { err, file: this.file },
        'cannot watch the flag file folder; changes are picked up by the poll only',
      );
    }
    this.poller = setInterval(() => this.schedule(), this.opts.pollMs ?? 2_000);
    this.poller.unref();
  }

  private schedule(): void {
    if (this.closed || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.reload();
    }, this.opts.debounceMs ?? 20);
    this.debounce.unref();
  }

  /** Never overlaps itself: a request during a reload runs once more afterwards. */
  private reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = this.loadOnce().finally(() => {
      this.reloading = undefined;
      if (this.reloadAgain && !this.closed) {
        this.reloadAgain = false;
        void this.reload();
      }
    });
    return this.reloading;
  }

  private async loadOnce(settle = true): Promise<void> {
    let text: string;
    try {
      text = await readFileNoFollow(this.file);
    } catch (err) {
      if (err instanceof NotRegularFileError) {
        this.fail(err.message);
        this.lastText = undefined;
        return;
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !this.fileSeen) return; // not created yet: bootstrap values
      const what = code === 'ENOENT' ? 'the file has disappeared' : `cannot read it (${code})`;
      this.fail(`${this.file}: ${what}`);
      this.lastText = undefined;
      return;
    }
    this.fileSeen = true;
    if (text === this.lastText) return;
    this.lastText = text;
    const parsed = parseFlagFile(text, this.file);
    if (!parsed.ok) {
      if (settle && this.suspect !== text) {
        this.suspect = text;
        this.lastText = undefined;
        this.recheck = setTimeout(() => this.schedule(), SETTLE_MS);
        this.recheck.unref();
        return;
      }
      return this.fail(parsed.error);
    }
    this.suspect = undefined;
    const changed = this.core.setConfigurations(text);
    if (this.loadError !== undefined) {
      this.opts.logger.info({ file: this.file }, `${this.file} is valid again and loaded`);
    }
    this.loadError = undefined;
    if (this.loadedOnce && changed.length > 0) {
      this.opts.logger.info(
        { file: this.file, flagsChanged: changed },
        `flag definitions reloaded: ${changed.join(', ')} changed`,
      );
      this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
    }
    this.loadedOnce = true;
  }

  private fail(problem: string): void {
    if (problem !== this.loadError) {
      const keeping = this.loadedOnce
        ? 'keeping the last good flag definitions'
        : 'serving the code default (off) for every flag';
      this.opts.logger.error({ file: this.file }, `${problem}; ${keeping} until the file is fixed`);
    }
    this.loadError = problem;
  }
}
