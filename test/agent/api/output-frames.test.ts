// GetOutput's in-place encoding (agent/api/output-frames.ts) against the wire
// contract: byte for byte what protobufjs encodes for the same message, decoded
// by stock clients (built from proto/workerservice.proto alone, and from seed
// 000's proto), and through grpc-js with frames reused under back-pressure.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { BaseServerInterceptingCall } from "@grpc/grpc-js/build/src/server-interceptors.js";
import { EncodedOutput, OutputFrames, sendFramesUncopied } from "../../../agent/api/output-frames.js";
import { streamOutput, type ReadOutput } from "../../../agent/api/output-stream.js";
import { passPreEncoded } from "../../../agent/api/pre-encoded.js";
import type { GetOutputResponse } from "../../../proto/generated/workerservice/GetOutputResponse.js";
import { OutputSpool, READ_CHUNK_BYTES } from "../../../agent/jobs/output-spool.js";
import { WORKER_SERVICE_PROTO, workerservice } from "../../../proto/load.js";
import { tempDir } from "../../helpers/tmp.js";

const SEED_PROTO = fileURLToPath(new URL("../../../../test/fixtures/seed-000-workerservice.proto", import.meta.url));

/** Reads `data` into a frame as OutputSpool.read does (the frame's room, then maybe a short read) and encodes it. */
async function encodeThroughFrame(frames: OutputFrames, data: Buffer, offset: number, room = data.length): Promise<EncodedOutput> {
  const buffer = await frames.take(room);
  data.copy(buffer);
  return frames.encode(buffer.subarray(0, data.length), offset);
}

/** A service definition loaded the stock way: proto-loader's default options, no jobworker code. */
function stockDefinition(protoFile: string): grpc.ServiceDefinition {
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile)) as unknown as {
    workerservice: { WorkerService: grpc.ServiceClientConstructor };
  };
  return loaded.workerservice.WorkerService.service;
}

describe("GetOutput's in-place encoding", () => {
  const root = protobuf.loadSync(WORKER_SERVICE_PROTO);
  const GetOutputResponse = root.lookupType("workerservice.GetOutputResponse");
  const stockSerialize = workerservice().WorkerService.service.GetOutput.responseSerialize;
  const lengths = [0, 1, 5, 127, 128, 16_383, 16_384, 65_535, 65_536, 65_537, READ_CHUNK_BYTES].filter((n) => n <= READ_CHUNK_BYTES);
  const offsets = [0, 1, 127, 128, 300, 2 ** 32 - 1, 2 ** 32, 5 * 2 ** 30 + 7, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER];

  it("is byte for byte protobufjs's encoding: empty, small and 64 KiB+ outputs, offsets past 2^32", async () => {
    const frames = new OutputFrames(new AbortController().signal, 1);
    for (const length of lengths) {
      for (const offset of offsets) {
        const data = randomBytes(length);
        const encoded = await encodeThroughFrame(frames, data, offset);
        const protobufjs = Buffer.from(GetOutputResponse.encode(GetOutputResponse.fromObject({ output: data, offset })).finish());
        expect(encoded.bytes.equals(protobufjs), `output ${length} bytes at offset ${offset}`).to.equal(true);
        expect(encoded.bytes.equals(stockSerialize({ output: data, offset })), `grpc's serializer, ${length} at ${offset}`).to.equal(true);
        expect(encoded.output.equals(data)).to.equal(true);
        const prefix = Buffer.alloc(5);
        prefix.writeUInt32BE(protobufjs.length, 1);
        expect(encoded.framed.equals(Buffer.concat([prefix, protobufjs])), `gRPC's prefix, ${length} at ${offset}`).to.equal(true);
        frames.release(encoded);
      }
    }
  });

  it("is the same after a short read (fewer bytes than the frame's room)", async () => {
    const frames = new OutputFrames(new AbortController().signal, 1);
    for (const [room, length] of [[READ_CHUNK_BYTES, 3], [READ_CHUNK_BYTES, 200], [300, 0]]) {
      const data = randomBytes(length);
      const encoded = await encodeThroughFrame(frames, data, 42, room);
      expect(encoded.bytes.equals(stockSerialize({ output: data, offset: 42 }))).to.equal(true);
      frames.release(encoded);
    }
  });

  it("decodes with stock clients: one built from proto/workerservice.proto, and seed 000's (no offset field)", async () => {
    const current = stockDefinition(WORKER_SERVICE_PROTO).GetOutput;
    const seed = stockDefinition(SEED_PROTO).GetOutput;
    const frames = new OutputFrames(new AbortController().signal, 1);
    for (const length of [0, 11, 65_536, READ_CHUNK_BYTES]) {
      const data = randomBytes(length);
      const encoded = await encodeThroughFrame(frames, data, 2 ** 33 + length);
      const decoded = current.responseDeserialize(encoded.bytes) as { output: Buffer; offset: { toString(): string } };
      expect(decoded.output.equals(data)).to.equal(true);
      expect(decoded.offset.toString()).to.equal(String(2 ** 33 + length));
      const old = seed.responseDeserialize(encoded.bytes) as { output: Buffer };
      expect(old.output.equals(data)).to.equal(true);
      frames.release(encoded);
    }
  });

  it("passes an EncodedOutput through the serializer as is, and anything else to protobufjs as before", async () => {
    const serialize = passPreEncoded(workerservice().WorkerService.service).GetOutput.responseSerialize;
    const frames = new OutputFrames(new AbortController().signal, 1);
    const encoded = await encodeThroughFrame(frames, Buffer.from("hello\n"), 6);
    expect(serialize(encoded)).to.equal(encoded.bytes);
    expect(serialize({ output: Buffer.from("hello\n"), offset: 6 }).equals(encoded.bytes)).to.equal(true);
  });

  it("makes grpc-js send an EncodedOutput's frame itself, prefix included, and frame anything else as before", async () => {
    expect(sendFramesUncopied()).to.equal(true);
    expect(sendFramesUncopied()).to.equal(true); // once only: not wrapped twice
    const serializeMessage = (BaseServerInterceptingCall.prototype as unknown as { serializeMessage(value: unknown): Buffer }).serializeMessage;
    const call = { handler: { serialize: passPreEncoded(workerservice().WorkerService.service).GetOutput.responseSerialize } };
    const frames = new OutputFrames(new AbortController().signal, 1);
    const encoded = await encodeThroughFrame(frames, randomBytes(70_000), 123);
    expect(serializeMessage.call(call, encoded)).to.equal(encoded.framed);
    const plain = serializeMessage.call(call, { output: encoded.output, offset: 123 });
    expect(plain).to.not.equal(encoded.framed);
    expect(plain.equals(encoded.framed)).to.equal(true);
  });

  it("waits for a free frame while all are in flight, and stops waiting when the call is cancelled", async () => {
    const cancelled = new AbortController();
    const frames = new OutputFrames(cancelled.signal, 1);
    const first = await encodeThroughFrame(frames, Buffer.from("a"), 0);
    let second: Buffer | undefined;
    const waiting = frames.take(1).then((b) => (second = b));
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).to.equal(undefined);
    frames.release(first);
    await waiting;
    expect(second!.buffer).to.equal(first.bytes.buffer); // the same frame, reused
    const third = frames.take(1);
    cancelled.abort();
    expect((await third).length).to.equal(1); // a throwaway buffer: the read stops without using it
  });

  describe("through grpc-js", () => {
    const data = randomBytes(3 * READ_CHUNK_BYTES + 12_345);
    let dir: ReturnType<typeof tempDir>;
    let path: string;
    let server: grpc.Server;
    let port: number;

    before(async () => {
      sendFramesUncopied(); // as the agent does
      dir = tempDir();
      path = join(dir.path, "output");
      writeFileSync(path, data);
      server = new grpc.Server();
      const service = passPreEncoded(workerservice().WorkerService.service);
      // GetOutput as the agent serves it: the spool read into frames by output-stream.ts's streamOutput, a write per frame, frames back on the write callback.
      server.addService(service, {
        GetOutput: async (call: grpc.ServerWritableStream<{ offset: string }, GetOutputResponse>) => {
          const spool = await OutputSpool.finished(path);
          const cancelled = new AbortController();
          call.once("cancelled", () => cancelled.abort());
          const read: ReadOutput = async function* (buffer) {
            let offset = Number(call.request.offset);
            for await (const chunk of spool.read({ offset, signal: cancelled.signal, buffer })) {
              yield { output: chunk, offset };
              offset += chunk.length;
            }
          };
          await streamOutput(call, cancelled.signal, read, { outputStreamed: () => {}, streamOpened: () => {}, streamClosed: () => {} });
          call.end();
        },
      });
      port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
      );
    });
    after(() => {
      server.forceShutdown();
      dir.cleanup();
    });

    /** A stock client (proto-loader defaults, grpc-js's default 64 KiB window) that stalls now and then, so the server's frames wait and are reused. */
    function readWithStockClient(offset: number): Promise<{ bytes: Buffer; offsets: number[] }> {
      const Client = grpc.makeClientConstructor(stockDefinition(WORKER_SERVICE_PROTO), "WorkerService");
      const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as {
        GetOutput(request: object): grpc.ClientReadableStream<{ output: Buffer; offset: { toString(): string } }>;
        close(): void;
      };
      return new Promise((resolve, reject) => {
        const parts: Buffer[] = [];
        const offsets: number[] = [];
        const stream = client.GetOutput({ jobID: Buffer.alloc(16), offset });
        stream.on("data", (message) => {
          parts.push(message.output);
          offsets.push(Number(message.offset.toString()));
          if (parts.length % 2 === 1) {
            stream.pause();
            setTimeout(() => stream.resume(), 20);
          }
        });
        stream.on("error", reject);
        stream.on("end", () => {
          client.close();
          resolve({ bytes: Buffer.concat(parts), offsets });
        });
      });
    }

    it("delivers the file byte-identical, each message at its offset", async () => {
      const { bytes, offsets } = await readWithStockClient(0);
      expect(createHash("sha256").update(bytes).digest("hex")).to.equal(createHash("sha256").update(data).digest("hex"));
      expect(offsets).to.deep.equal([0, 1, 2, 3].map((i) => i * READ_CHUNK_BYTES));
    });

    it("from an offset too", async () => {
      const { bytes, offsets } = await readWithStockClient(READ_CHUNK_BYTES + 7);
      expect(bytes.equals(data.subarray(READ_CHUNK_BYTES + 7))).to.equal(true);
      expect(offsets[0]).to.equal(READ_CHUNK_BYTES + 7);
    });
  });
});
