// writeChunks: raw bytes, in order, with backpressure, and quiet on EPIPE.
import { expect } from "chai";
import { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { writeChunks } from "../../ctl/output.js";

/** A Writable that accepts one chunk per `delayMs`, with a tiny buffer so that write() soon returns false. */
function slowSink(delayMs: number): { sink: Writable; received: Buffer[]; maxBuffered: () => number } {
  const received: Buffer[] = [];
  let maxBuffered = 0;
  const sink = new Writable({
    highWaterMark: 4,
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk);
      setTimeout(callback, delayMs);
    },
  });
  const write = sink.write.bind(sink);
  sink.write = ((chunk: Buffer) => {
    const ok = write(chunk);
    maxBuffered = Math.max(maxBuffered, sink.writableLength);
    return ok;
  }) as typeof sink.write;
  return { sink, received, maxBuffered: () => maxBuffered };
}

async function* chunksOf(parts: Buffer[], produced?: { count: number }): AsyncGenerator<Buffer> {
  for (const part of parts) {
    if (produced) produced.count++;
    yield part;
  }
}

describe("jobctl output copying", () => {
  it("writes every byte, in order, binary-safe", async () => {
    const parts = [Buffer.from([0, 255, 0x1b]), Buffer.from("\r\n"), Buffer.from([0xc3]), Buffer.from([0x28])];
    const { sink, received } = slowSink(0);
    await writeChunks(chunksOf(parts), sink);
    await finished(sink.end()); // what was accepted but not yet written
    expect(Buffer.concat(received)).to.deep.equal(Buffer.concat(parts));
  });

  it("waits for 'drain' instead of buffering ahead of a slow reader", async () => {
    const parts = Array.from({ length: 20 }, (_, i) => Buffer.alloc(10, i));
    const { sink, received, maxBuffered } = slowSink(2);
    await writeChunks(chunksOf(parts), sink);
    await finished(sink.end());
    expect(received).to.have.length(20);
    // Never more than one chunk past the 4-byte high-water mark is queued.
    expect(maxBuffered()).to.be.at.most(10);
  });

  it("stops reading and returns quietly when the reader has gone away (EPIPE)", async () => {
    const produced = { count: 0 };
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      },
    });
    await writeChunks(chunksOf(Array.from({ length: 100 }, () => Buffer.from("x")), produced), sink);
    expect(produced.count).to.be.lessThan(100);
  });

  it("throws other write errors", async () => {
    const sink = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error("no space left on device"), { code: "ENOSPC" }));
      },
    });
    let error: unknown;
    try {
      await writeChunks(chunksOf(Array.from({ length: 100 }, () => Buffer.from("x"))), sink);
    } catch (err) {
      error = err;
    }
    expect((error as NodeJS.ErrnoException | undefined)?.code).to.equal("ENOSPC");
  });
});
