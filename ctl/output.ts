// Copies job output to a stream (stdout) as raw bytes: binary-safe (never
// decoded to text) and with backpressure, so following a chatty job through a
// slow pipe holds the agent's stream back instead of filling jobctl's memory.
import type { Writable } from "node:stream";
import type { WorkerApi } from "./client.js";

/** Which of a job's output to copy: from `offset`, or from `tailBytes` before the end; with `follow`, on until the job ends. */
export interface OutputRange {
  follow: boolean;
  offset?: number;
  tailBytes?: number;
}

/** Copies the job's output in `range` to `out` (logs, stream). */
export async function copyJobOutput(api: WorkerApi, jobID: Buffer, range: OutputRange, out: Writable): Promise<void> {
  // The tail is counted back from what the agent has captured now; GetOutput then reads on from there.
  const from = range.tailBytes === undefined ? (range.offset ?? 0) : Math.max(0, Number((await api.status(jobID)).outputBytes) - range.tailBytes);
  await writeChunks(api.output({ jobID, noFollow: !range.follow, offset: from }), out);
}

/**
 * Writes every chunk, waiting for 'drain' whenever `out` asks to. Stops
 * quietly when the reader has gone away (EPIPE, as in `jobctl logs ID | head`);
 * any other write error is thrown.
 */
export async function writeChunks(chunks: AsyncIterable<Uint8Array>, out: Writable): Promise<void> {
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const onError = (err: Error) => {
    failure = err;
    wake?.();
  };
  const onDrain = () => wake?.();
  out.on("error", onError);
  out.on("drain", onDrain);
  try {
    for await (const chunk of chunks) {
      // 'error' is emitted on a later tick, but `errored` is set at once.
      failure ??= out.errored ?? undefined;
      if (failure) break; // leaving the loop ends the stream (and cancels the RPC)
      if (!out.write(chunk)) {
        // 'drain' and 'error' are emitted asynchronously, so setting wake now cannot miss them.
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    }
    failure ??= out.errored ?? undefined;
  } finally {
    out.off("error", onError);
    out.off("drain", onDrain);
  }
  if (failure && (failure as NodeJS.ErrnoException).code !== "EPIPE") throw failure;
}
