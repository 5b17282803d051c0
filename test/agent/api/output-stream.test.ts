// GetOutput's stream (agent/api/output-stream.ts) through a real grpc-js
// server and client on loopback: the output arrives byte for byte at its
// offsets, a stream holds at most FRAMES_PER_STREAM frames however much it
// sends to a client that stalls, a cancelled stream stops reading, and the
// stream's events count what it sent and that it opened and closed.
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { FRAMES_PER_STREAM, sendFramesUncopied } from "../../../agent/api/output-frames.js";
import { streamOutput, type OutputStreamEvents, type ReadOutput } from "../../../agent/api/output-stream.js";
import { passPreEncoded } from "../../../agent/api/pre-encoded.js";
import { READ_CHUNK_BYTES } from "../../../agent/jobs/output-spool.js";
import { workerservice } from "../../../proto/load.js";
import type { WorkerServiceClient } from "../../../proto/generated/workerservice/WorkerService.js";
import { eventually } from "../../helpers/wait.js";

/** Reads `data` as the spool does: chunks of up to READ_CHUNK_BYTES, each into the buffer `buffer` hands out, at its offset. */
function readFrom(data: Buffer, frames: Set<ArrayBufferLike>): ReadOutput {
  return async function* (buffer) {
    for (let offset = 0; offset < data.length; offset += READ_CHUNK_BYTES) {
      const bytes = Math.min(READ_CHUNK_BYTES, data.length - offset);
      const into = await buffer(bytes);
      frames.add(into.buffer);
      data.copy(into, 0, offset, offset + bytes);
      yield { output: into.subarray(0, bytes), offset };
    }
  };
}

/** Output without end, as a running job's that is followed; `ended.done` once the stream has stopped reading it. */
function endless(ended: { done: boolean }): ReadOutput {
  return async function* (buffer) {
    try {
      for (let offset = 0; ; offset += READ_CHUNK_BYTES) yield { output: await buffer(READ_CHUNK_BYTES), offset };
    } finally {
      ended.done = true;
    }
  };
}

describe("streamOutput (GetOutput's stream)", () => {
  let server: grpc.Server;
  let client: WorkerServiceClient;
  let read: ReadOutput;
  let counted: { streamed: number; opened: number; closed: number };
  /** How the last streamOutput ended: "returned", or what it threw (which the agent would answer INTERNAL). */
  let outcome: unknown;

  before(async () => {
    sendFramesUncopied(); // as the agent does
    const events: OutputStreamEvents = {
      outputStreamed: (bytes) => void (counted.streamed += bytes),
      streamOpened: () => void counted.opened++,
      streamClosed: () => void counted.closed++,
    };
    server = new grpc.Server();
    server.addService(passPreEncoded(workerservice().WorkerService.service), {
      GetOutput: async (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const cancelled = new AbortController();
        call.once("cancelled", () => cancelled.abort());
        outcome = await streamOutput(call, cancelled.signal, read, events).then(() => "returned", (err: unknown) => err);
        call.end();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    client = new (workerservice().WorkerService)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  beforeEach(() => {
    counted = { streamed: 0, opened: 0, closed: 0 };
    outcome = undefined;
  });
  after(() => {
    client.close();
    server.forceShutdown();
  });

  it("delivers the output byte for byte, each message at its offset, through a client that stalls, in at most FRAMES_PER_STREAM frames", async () => {
    const data = randomBytes(12 * READ_CHUNK_BYTES + 777);
    const frames = new Set<ArrayBufferLike>();
    read = readFrom(data, frames);
    const parts: Buffer[] = [];
    const offsets: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.GetOutput({ jobID: Buffer.alloc(16) });
      stream.on("data", (message: { output: Buffer; offset: string }) => {
        parts.push(message.output);
        offsets.push(Number(message.offset));
        // Stall now and then, so that the server's writes wait for the client and its frames are reused.
        if (parts.length % 3 === 1) {
          stream.pause();
          setImmediate(() => stream.resume());
        }
      });
      stream.on("error", reject);
      stream.on("end", resolve);
    });
    expect(Buffer.concat(parts).equals(data)).to.equal(true);
    expect(offsets).to.deep.equal(Array.from({ length: 13 }, (_, i) => i * READ_CHUNK_BYTES));
    expect(frames.size).to.be.at.most(FRAMES_PER_STREAM); // 13 messages, 2 frames: each reused once grpc-js wrote it
    expect(counted).to.deep.equal({ streamed: data.length, opened: 1, closed: 1 });
    expect(outcome).to.equal("returned");
  });

  it("stops reading when the client cancels, returning as from an ended output, and counts the stream closed", async () => {
    const ended = { done: false };
    read = endless(ended);
    const stream = client.GetOutput({ jobID: Buffer.alloc(16) });
    stream.on("error", () => undefined); // CANCELLED
    await new Promise((resolve) => stream.once("data", resolve));
    stream.cancel();
    await eventually("the stream to close", () => counted.closed === 1 && outcome !== undefined);
    expect(outcome).to.equal("returned");
    expect(ended.done, "the read was ended").to.equal(true);
    expect(counted.opened).to.equal(1);
    expect(counted.streamed % READ_CHUNK_BYTES).to.equal(0);
    expect(counted.streamed).to.be.greaterThan(0);
  });
});
