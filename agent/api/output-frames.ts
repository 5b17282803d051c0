// GetOutput's responses, encoded where the output is read (issue 10).
//
// A GetOutputResponse is two fields, output (1, bytes) and offset (2, uint64),
// and protobufjs (grpc-js's serializer, through proto-loader) encodes
// { output, offset } as
//
//   0x0a <varint output length> <output bytes> 0x10 <varint offset>
//
// both fields always, an empty output and offset 0 included (fromObject sets
// every field it is given). The stock path cost three new buffers and two
// copies a message: the file read, protobufjs's encode and grpc-js's frame.
// Here the spool reads the file straight into a frame buffer, between room for
// the output field's header and room for the offset field; the two are written
// around the bytes and the serializer hands the result to grpc-js as it is
// (an EncodedOutput is a PreEncoded: api/pre-encoded.ts).
// grpc-js's own frame (5-byte prefix, one copy) would remain; see
// sendFramesUncopied() for skipping it too.
//
// Measured (issue 10, one in-process reader, the agent's CPU profile while
// streaming): garbage collection went from 25% of the agent's busy time to 3%;
// agent CPU per GiB streamed 5.5 -> 4.6 s (medians of 5 rounds, 512 MiB).
//
// Each stream has a few frames, reused once grpc-js has written the message a
// frame holds (the write callback). A stream with none free waits for one: that
// is its back-pressure, and it bounds what one stream holds to FRAMES_PER_STREAM
// frames, plus grpc-js's copies of them not yet written to the socket.
import { BaseServerInterceptingCall } from "@grpc/grpc-js/build/src/server-interceptors.js";
import type { GetOutputResponse } from "../../proto/generated/workerservice/GetOutputResponse.js";
import { READ_CHUNK_BYTES } from "../jobs/output-spool.js";
import { PreEncoded } from "./pre-encoded.js";

/**
 * Frames one GetOutput stream may have in flight: one is read while the other
 * is written. 4 measured no faster than 2 (one reader, 128 MiB, 15 rounds: 101
 * vs 97 MB/s medians, noise; 100 readers: 95 vs 89 MB/s), and memory is per stream.
 */
export const FRAMES_PER_STREAM = 2;

const OUTPUT_TAG = (1 << 3) | 2; // field 1, length-delimited
const OFFSET_TAG = (2 << 3) | 0; // field 2, varint
/** gRPC's message prefix: a compressed flag (0: grpc-js never compresses responses) and the length, 4 bytes big-endian. */
const GRPC_PREFIX = 1 + 4;
/** Before the output: gRPC's prefix, then the field's tag and length (a varint of up to 5 bytes covers any chunk). */
const HEAD_ROOM = GRPC_PREFIX + 1 + 5;
/** After it: the offset's tag and value (a uint64 varint takes up to 10 bytes). */
const TAIL_ROOM = 1 + 10;

/** A GetOutputResponse in its wire encoding (`bytes`, passed through by passPreEncoded); `output` views the output inside it. */
export class EncodedOutput extends PreEncoded<GetOutputResponse> {
  constructor(
    bytes: Buffer,
    readonly output: Buffer,
    readonly offset: number,
    /** `bytes` behind gRPC's 5-byte prefix: the message as it goes in HTTP/2 DATA frames. */
    readonly framed: Buffer,
  ) {
    super(bytes);
  }
}

/**
 * grpc-js copies every serialized response into a new buffer behind gRPC's
 * prefix (BaseServerInterceptingCall.serializeMessage, an internal). An
 * EncodedOutput has its prefix in its frame already, so this makes grpc-js take
 * the frame itself: no copy, no new buffer. The HTTP/2 stream holds the frame
 * until it is written to the socket, and only then does grpc-js call the write
 * callback that returns it to its stream's frames. Other messages are as before.
 * False (nothing changed) if grpc-js has no such method any more: GetOutput
 * then works as it would without this, with the copy.
 *
 * Measured (64 KiB messages, interleaved rounds, medians): one reader of 128
 * MiB, agent CPU 4.6 -> 4.2 s/GiB (11 rounds, loaded machine); 100 readers of
 * 16 MiB, agent 4.5 -> 4.0 s/GiB and agent peak RSS 189 -> 136 MiB (4 rounds).
 */
export function sendFramesUncopied(): boolean {
  const prototype = BaseServerInterceptingCall.prototype as unknown as { serializeMessage?: (value: unknown) => Buffer };
  const serializeMessage = prototype.serializeMessage;
  if (typeof serializeMessage !== "function") return false;
  if ((serializeMessage as { framesUncopied?: true }).framesUncopied) return true;
  const patched = function (this: unknown, value: unknown): Buffer {
    return value instanceof EncodedOutput ? value.framed : serializeMessage.call(this, value);
  };
  prototype.serializeMessage = Object.assign(patched, { framesUncopied: true as const });
  return true;
}

/** The frames of one GetOutput stream. */
export class OutputFrames {
  private readonly frames: Buffer[] = [];
  private readonly free: Buffer[] = [];
  private wake?: () => void;

  /** `signal` (the call cancelled) ends every wait for a frame. */
  constructor(
    private readonly signal: AbortSignal,
    private readonly max = FRAMES_PER_STREAM,
  ) {
    signal.addEventListener("abort", () => this.wake?.(), { once: true });
  }

  /**
   * Room for `bytes` of output (at most READ_CHUNK_BYTES) in a free frame, for
   * OutputSpool.read's `buffer` option; waits while every frame is in flight.
   * Once the call is cancelled it returns a fresh buffer instead (the read
   * stops without using it).
   */
  async take(bytes: number): Promise<Buffer> {
    for (;;) {
      if (this.signal.aborted) return Buffer.allocUnsafe(bytes);
      const frame = this.free.pop() ?? this.allocate();
      if (frame) return frame.subarray(HEAD_ROOM, HEAD_ROOM + bytes);
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** The message for `output`, read into a frame from take() (a short read is fine), at `offset`. */
  encode(output: Buffer, offset: number): EncodedOutput {
    const frame = this.frames.find((f) => f.buffer === output.buffer);
    if (!frame || output.byteOffset - frame.byteOffset !== HEAD_ROOM) throw new Error("output not read into a frame of this stream");
    const start = HEAD_ROOM - 1 - varintLength(output.length);
    frame[start] = OUTPUT_TAG;
    writeVarint(frame, start + 1, output.length);
    const tail = HEAD_ROOM + output.length;
    frame[tail] = OFFSET_TAG;
    const end = writeVarint(frame, tail + 1, offset);
    frame[start - GRPC_PREFIX] = 0;
    frame.writeUInt32BE(end - start, start - GRPC_PREFIX + 1);
    return new EncodedOutput(frame.subarray(start, end), output, offset, frame.subarray(start - GRPC_PREFIX, end));
  }

  /** grpc-js is done with the message (its write callback): its frame is free again. */
  release(message: EncodedOutput): void {
    const frame = this.frames.find((f) => f.buffer === message.bytes.buffer);
    if (!frame || this.free.includes(frame)) return;
    this.free.push(frame);
    this.wake?.();
  }

  private allocate(): Buffer | undefined {
    if (this.frames.length >= this.max) return undefined;
    // Slow: a buffer of its own (never a slice of Node's shared pool), so that its ArrayBuffer identifies it.
    const frame = Buffer.allocUnsafeSlow(HEAD_ROOM + READ_CHUNK_BYTES + TAIL_ROOM);
    this.frames.push(frame);
    return frame;
  }
}

function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    n++;
  }
  return n;
}

/** Writes `value` (a non-negative safe integer) as a protobuf varint at `at`; returns the index after it. Arithmetic, not bit operations: offsets pass 2^32. */
function writeVarint(buffer: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    buffer[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  buffer[at++] = value;
  return at;
}
