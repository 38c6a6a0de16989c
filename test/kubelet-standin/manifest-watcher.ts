/**
 * The kubelet's view of its staticPodPath: every regular, non-hidden file in the directory (any name, as the
 * kubelet reads them all), re-read on inotify events and on a short poll as a fallback (the kubelet itself
 * re-lists every 20 s). A directory that does not exist yet simply holds no pods.
 */
import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export type ManifestFiles = ReadonlyMap<string, string>;

export class ManifestWatcher {
  private last = '';
  private timer?: NodeJS.Timeout;
  private watcher?: FSWatcher;
  private running?: Promise<void>;
  private again = false;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly onChange: (files: ManifestFiles) => Promise<void>,
    private readonly pollMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  read(): Map<string, string> {
    const files = new Map<string, string>();
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return files;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const path = join(this.dir, name);
      try {
        if (!statSync(path).isFile()) continue;
        files.set(name, readFileSync(path, 'utf8'));
      } catch {
        // Removed between readdir and read: the next scan sees it gone.
      }
    }
    return files;
  }

  private ensureWatch(): void {
    if (this.watcher || this.closed) return;
    try {
      this.watcher = watch(this.dir, () => void this.scan());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // Not there yet; the poll retries.
    }
  }

  /** One scan; concurrent calls coalesce into one more scan after the current one. */
  scan(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        this.ensureWatch();
        const files = this.read();
        const key = JSON.stringify([...files]);
        if (key !== this.last) {
          this.last = key;
          try {
            await this.onChange(files);
          } catch (err) {
            this.onError(err);
          }
        }
      } while (this.again && !this.closed);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  start(): Promise<void> {
    const tick = (): void => {
      if (this.closed) return;
      void this.scan().finally(() => {
        if (!this.closed) this.timer = setTimeout(tick, this.pollMs);
      });
    };
    const first = this.scan();
    this.timer = setTimeout(tick, this.pollMs);
    return first;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    await this.running;
  }
}
