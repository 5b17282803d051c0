// A job's combined output, spooled to one file under the state directory.
//
// One writer (the capture loop) appends; any number of readers read the file
// from any offset and then wait for more. Readers never touch the writer's
// path: capture runs at disk speed whatever the readers do, and a reader holds
// at most one chunk in memory, so agent memory is bounded by
// readers x READ_CHUNK_BYTES (plus gRPC's per-stream buffers), not by output size.
//
// Waiting is a single shared promise replaced on every append: no polling.
import { open, stat, type FileHandle } from "node:fs/promises";

/** Size of one read, and of one GetOutput message. 64 KiB keeps syscalls and
 * gRPC frames few (200 MiB to 20 readers: ~65k messages) while memory per reader stays small. */
export const READ_CHUNK_BYTES = 64 * 1024;

export interface ReadOptions {
  /** Keep reading as output arrives until the job has ended (default true). */
  follow?: boolean;
  /** Byte offset to start at (default 0). */
  offset?: number;
  /** Ends the read, also while it waits for output (e.g. the client went away). */
  signal?: AbortSignal;
}

export class OutputSpool {
  /** Bytes written to the file and visible to readers. */
  length: number;
  /** Bytes discarded because the output cap was reached. */
  dropped = 0;
  /** True once no more output will ever be appended. */
  closed: boolean;
  private change = newSignal();

  private constructor(
    readonly path: string,
    private readonly capBytes: number,
    private file: FileHandle | undefined,
    length: number,
  ) {
    this.length = length;
    this.closed = file === undefined;
  }

  /** A new, empty spool for a job about to start. */
  static async create(path: string, capBytes: number): Promise<OutputSpool> {
    const file = await open(path, "wx", 0o600);
    return new OutputSpool(path, capBytes, file, 0);
  }

  /** The spool of a job that has ended (e.g. loaded after an agent restart). */
  static async openFinished(path: string, dropped = 0): Promise<OutputSpool> {
    const length = await stat(path).then((s) => s.size, () => 0);
    const spool = new OutputSpool(path, 0, undefined, length);
    spool.dropped = dropped;
    return spool;
  }

  /** Appends a chunk, or the part of it under the cap. Calls must not overlap. */
  async append(chunk: Buffer): Promise<void> {
    if (!this.file) throw new Error("output spool is closed");
    const room = Math.max(0, this.capBytes - this.length);
    const keep = Math.min(room, chunk.length);
    this.dropped += chunk.length - keep;
    if (keep === 0) return;
    let written = 0;
    while (written < keep) {
      const { bytesWritten } = await this.file.write(chunk, written, keep - written, this.length + written);
      written += bytesWritten;
    }
    this.length += keep;
    this.wake();
  }

  /** No more output: readers finish once they have read everything. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const file = this.file;
    this.file = undefined;
    await file?.close();
    this.wake();
  }

  /** The output from `offset`, in chunks; with follow, live until the spool closes. */
  async *read(options: ReadOptions = {}): AsyncGenerator<Buffer> {
    const follow = options.follow ?? true;
    let position = options.offset ?? 0;
    const end = follow ? Infinity : this.length;
    const aborted = abortPromise(options.signal);
    const file = await open(this.path, "r");
    try {
      while (!options.signal?.aborted) {
        const limit = Math.min(this.length, end);
        if (position < limit) {
          const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, limit - position));
          const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
          if (bytesRead === 0) return; // file shorter than recorded (truncated on disk): nothing more to give
          position += bytesRead;
          yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
          continue;
        }
        if (!follow || this.closed) return;
        await Promise.race([this.change.promise, aborted]);
      }
    } finally {
      await file.close();
    }
  }

  private wake(): void {
    const current = this.change;
    this.change = newSignal();
    current.resolve();
  }
}

function abortPromise(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise(() => {});
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

function newSignal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
