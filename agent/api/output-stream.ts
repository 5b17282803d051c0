// GetOutput's stream: the job's output read straight into frames that are
// already the messages' encoding (output-frames.ts), written only as fast as
// HTTP/2 flow control lets the client take them, and counted. RpcContext's
// serverStream (rpc.ts) runs it: authentication, the status and the log line
// are its part, not this one's.
import type * as grpc from "@grpc/grpc-js";
import type { GetOutputResponse } from "../../proto/generated/workerservice/GetOutputResponse.js";
import type { ReadOptions } from "../jobs/output-spool.js";
import type { ApiEvents } from "./events.js";
import type { OutputChunk } from "./job-service.js";
import { OutputFrames } from "./output-frames.js";

/** What a GetOutput stream reports (to the agent's metrics). */
export type OutputStreamEvents = Pick<ApiEvents, "outputStreamed" | "streamOpened" | "streamClosed">;

/** The output to send, read into the buffers `buffer` hands out (JobService.getOutput). */
export type ReadOutput = (buffer: NonNullable<ReadOptions["buffer"]>) => AsyncIterable<OutputChunk>;

/** Sends what `read` reads to `call` until the output ends or `cancelled` (the client cancelled) is aborted. */
export async function streamOutput(
  call: grpc.ServerWritableStream<unknown, GetOutputResponse>, cancelled: AbortSignal, read: ReadOutput, events: OutputStreamEvents,
): Promise<void> {
  events.streamOpened();
  try {
    const frames = new OutputFrames(cancelled);
    for await (const chunk of read((bytes) => frames.take(bytes))) {
      if (cancelled.aborted) break;
      events.outputStreamed(chunk.output.length);
      const message = frames.encode(chunk.output, chunk.offset);
      // Respect HTTP/2 flow control: a slow client holds back only its own stream
      // (the frames run out while grpc-js has not written them, and so does the read).
      if (!call.write(message, () => frames.release(message))) await drained(call, cancelled);
    }
  } finally {
    events.streamClosed();
  }
}

/** Resolves once grpc-js's buffer has room again, or the call is cancelled. */
function drained(call: grpc.ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      call.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    call.once("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
