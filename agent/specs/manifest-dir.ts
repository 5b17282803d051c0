// The manifest directory (jobs.manifestDir), as kubelet watches its static
// pod path: inotify (fs.watch) for changes as they happen, plus a re-list
// every few seconds for anything a watch missed (a directory created later,
// an NFS mount, inotify limits). Each scan reads every manifest file and
// hands the whole picture to the reconciler, which works out what changed.
//
// Read: regular files (or symlinks to them, as a Kubernetes ConfigMap volume
// has) named *.yaml, *.yml or *.json. Ignored: dotfiles (an editor's
// .swp, a ConfigMap's ..data), editor temporaries (~, #...#, .tmp, .swp),
// subdirectories. A manifest runs commands, so a file (or the directory) that
// others than its owner may write, or that belongs to someone other than the
// agent's user or root, is rejected.
import { constants, watch, type FSWatcher, type Stats } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { REQUEST_LIMITS } from "../../common/request-limits.js";
import { ConfigFileError } from "../config/load.js";
import { compileManifestSchema, parseManifests } from "./manifest.js";
import type { ManifestScan } from "./reconciler.js";
import type { JobSpec } from "./spec.js";

/** kubelet re-lists its static pod path every 20 s; a shorter period costs a readdir and a stat per file. */
export const RELIST_MS = 5_000;
/** Changes arrive in bursts (an editor's write, rename, chmod): one scan after they settle. */
const SETTLE_MS = 100;
/** ...but no later than this after the first of them: a file written without pause (a log someone keeps in the directory) must not hold every scan off. */
const MAX_SETTLE_MS = 1_000;
/** A manifest is a few KiB; a bigger file is refused rather than parsed (the same bound as Apply's). */
const MAX_MANIFEST_BYTES = REQUEST_LIMITS.maxManifestBytes;

const MANIFEST = /^[^.#].*\.(ya?ml|json)$/;

const EMPTY_FILE = "no job spec in the file (taken for a file being written): to stop what it defined, remove the file";

export class ManifestDir {
  private watcher?: FSWatcher;
  /** The directory the watch is on: one removed and made again needs a new watch (inotify follows the inode). */
  private watchedIno?: number;
  private relist?: NodeJS.Timeout;
  private settle?: NodeJS.Timeout;
  /** When the first change not yet scanned arrived (epoch ms). */
  private firstChangeAt?: number;
  private scanning?: Promise<void>;
  private again = false;
  private closed = false;
  /** Each file's text at the last scan, so that a problem is logged once per change, not at every re-list. */
  private readonly seen = new Map<string, string>();
  /** Each file's text and what it parsed to: a re-list of unchanged files validates nothing again. */
  private readonly parsed = new Map<string, { text: string; result: JobSpec[] | ConfigFileError }>();

  constructor(
    readonly dir: string,
    private readonly sync: (scan: ManifestScan) => Promise<void>,
    private readonly logger?: Logger,
    private readonly relistMs = RELIST_MS,
  ) {}

  /** The first scan (awaited: the reconciler then knows every file spec), then watching. */
  async start(): Promise<void> {
    compileManifestSchema();
    this.watchDir(await stat(this.dir).then((info) => info.ino, () => undefined));
    await this.scan();
    this.relist = setInterval(() => {
      if (!this.watcher) this.watchDir(); // the directory may have appeared since (read() notes its inode)
      // Not while a change is settling (a file may be half written): its scan comes within MAX_SETTLE_MS.
      // Nor through the settle timer, which a directory that never goes quiet would keep putting off.
      if (this.firstChangeAt === undefined) void this.scan();
    }, this.relistMs);
    this.relist.unref();
  }

  /** Stops watching; resolves once a scan under way has finished (it changes nothing after close, see Reconciler.syncFiles). */
  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    clearInterval(this.relist);
    clearTimeout(this.settle);
    await this.scanning;
  }

  /** Resolves once a scan that began after this call has finished. */
  async scan(): Promise<void> {
    if (this.scanning) {
      this.again = true; // the loop under way reads the directory once more before it resolves
      return this.scanning;
    }
    this.scanning = this.scanLoop().finally(() => (this.scanning = undefined));
    await this.scanning;
  }

  private async scanLoop(): Promise<void> {
    do {
      this.again = false;
      if (this.closed) return;
      const scan = await this.read();
      if (this.closed) return;
      if (scan === undefined) continue; // unreadable: keep the last picture rather than stop every file spec
      await this.sync(scan).catch((err) => this.logger?.error({ err, dir: this.dir }, "applying the manifest directory failed"));
    } while (this.again);
  }

  private watchDir(ino?: number): void {
    this.watcher?.close();
    this.watcher = undefined;
    try {
      this.watcher = watch(this.dir, () => this.requestScan());
      this.watchedIno = ino;
      this.watcher.on("error", (err) => {
        this.logger?.warn({ err, dir: this.dir }, "watching the manifest directory failed; re-listing it only");
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.logger?.warn({ err, dir: this.dir }, "cannot watch the manifest directory; re-listing it only");
    }
  }

  private requestScan(): void {
    if (this.closed) return;
    clearTimeout(this.settle);
    const now = Date.now();
    this.firstChangeAt ??= now;
    const delay = Math.min(SETTLE_MS, Math.max(0, this.firstChangeAt + MAX_SETTLE_MS - now));
    this.settle = setTimeout(() => {
      this.firstChangeAt = undefined;
      void this.scan();
    }, delay);
  }

  /**
   * The directory as it is now; undefined when it cannot be trusted or read
   * (a transient error, a moment of g+w): the reconciler then keeps what it
   * has. Missing, it holds no specs, as kubelet treats a missing static pod path.
   */
  private async read(): Promise<ManifestScan | undefined> {
    const scan: ManifestScan = new Map();
    let names: string[];
    try {
      const info = await stat(this.dir);
      if (this.watcher && info.ino !== this.watchedIno) this.watchDir(info.ino);
      else this.watchedIno ??= info.ino;
      const dirProblem = unsafe(info);
      if (dirProblem) {
        this.logOnce(this.dir, dirProblem, () => this.logger?.error({ dir: this.dir, problem: dirProblem }, "the manifest directory is refused: nothing in it is read, what runs stays"));
        return undefined;
      }
      names = (await readdir(this.dir)).filter((name) => MANIFEST.test(name) && !name.endsWith("~") && !name.endsWith("#"));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return scan;
      this.logger?.error({ err, dir: this.dir }, "cannot read the manifest directory; what runs stays");
      return undefined;
    }
    for (const name of names.sort()) {
      const path = join(this.dir, name);
      const result = await this.readFile(path);
      if (result !== undefined) scan.set(path, result);
    }
    for (const path of [...this.seen.keys()]) if (path !== this.dir && !scan.has(path)) this.seen.delete(path);
    for (const path of [...this.parsed.keys()]) if (!scan.has(path)) this.parsed.delete(path);
    return scan;
  }

  /** The file's specs, or its problems; undefined if it is not a regular file (or went away meanwhile). */
  private async readFile(path: string): Promise<JobSpec[] | ConfigFileError | undefined> {
    try {
      // Checked and read through one descriptor: a symlink swapped between a stat and a read cannot slip another file in.
      const { info, text: content } = await readChecked(path);
      if (!info.isFile()) return undefined;
      const problem = unsafe(info) ?? (info.size > MAX_MANIFEST_BYTES ? `${info.size} bytes: at most ${MAX_MANIFEST_BYTES}` : undefined);
      const text = problem ? `refused: ${problem}` : content!;
      const result = problem ? new ConfigFileError(path, [`refused: ${problem}`]) : this.parseOnce(path, text);
      if (!Array.isArray(result)) this.logOnce(path, text, () => this.logger?.error({ file: path, problems: result.problems }, "a manifest file was rejected; what it defined keeps running as it was"));
      else this.seen.set(path, text);
      return result;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      return new ConfigFileError(path, [`cannot read the file: ${(err as Error).message}`]);
    }
  }

  private parseOnce(path: string, text: string): JobSpec[] | ConfigFileError {
    const last = this.parsed.get(path);
    if (last?.text === text) return last.result;
    const result = parse(path, text);
    this.parsed.set(path, { text, result });
    return result;
  }

  private logOnce(key: string, text: string, log: () => void): void {
    if (this.seen.get(key) !== text) log();
    this.seen.set(key, text);
  }
}

/** The file's status and, if it is a small enough regular file, its text, through one open descriptor. */
async function readChecked(path: string): Promise<{ info: Stats; text?: string }> {
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK); // a FIFO planted here must not hang the scan
  try {
    const info = await file.stat();
    if (!info.isFile() || info.size > MAX_MANIFEST_BYTES) return { info };
    return { info, text: await file.readFile("utf8") };
  } finally {
    await file.close();
  }
}

/**
 * A file that defines nothing is rejected, not read as "no specs": saved in
 * place (truncated, then written), a file is empty for a moment, and a scan
 * then must not stop everything it defined. Removing the file stops them.
 */
function parse(path: string, text: string): JobSpec[] | ConfigFileError {
  try {
    const specs = parseManifests(path, text);
    return specs.length > 0 ? specs : new ConfigFileError(path, [EMPTY_FILE]);
  } catch (err) {
    if (err instanceof ConfigFileError) return err;
    throw err;
  }
}

/** Why a manifest file or directory must not be trusted, or undefined. */
function unsafe(info: { uid: number; mode: number }): string | undefined {
  const agent = process.getuid?.() ?? 0;
  if (info.uid !== 0 && info.uid !== agent) return `owned by uid ${info.uid}, neither root nor the agent's user`;
  if ((info.mode & 0o022) !== 0) return `writable by group or others (mode ${(info.mode & 0o777).toString(8)})`;
  return undefined;
}
