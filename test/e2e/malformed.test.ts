// Requests that are not well-formed messages of their type never run: raw
// bytes in well-formed gRPC frames, through the real agent over mutual TLS.
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import protobuf from "protobufjs";
import { createSecureContext } from "node:tls";
import type { ListResponse__Output } from "../../proto/generated/workerservice/ListResponse.js";
import { AUTH_SERVICE_PROTO, WORKER_SERVICE_PROTO } from "../../proto/load.js";
import { wireProblem } from "../../proto/strict-decode.js";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { call, filesFor, workerClient, type ClientFiles } from "../helpers/client.js";

const WORKER_METHODS = ["Start", "Stop", "QueryStatus", "GetOutput", "List", "AgentInfo", "Top"];
const STREAMING = new Set(["GetOutput"]);

/** A client that sends raw bytes as the request of any method (identity serializers). */
function rawClient(address: string, files: ClientFiles): grpc.Client {
  const context = createSecureContext({ ca: files.ca, cert: files.cert, key: files.key, minVersion: "TLSv1.3" });
  return new grpc.Client(address, grpc.credentials.createFromSecureContext(context), { "grpc.ssl_target_name_override": "localhost" });
}

/** Sends bytes to a method; resolves with the status code (OK or the error's). */
function send(client: grpc.Client, path: string, bytes: Buffer, streaming: boolean): Promise<grpc.status> {
  const identity = (b: Buffer) => b;
  const deadline = Date.now() + 20_000;
  return new Promise((resolve) => {
    if (streaming) {
      const stream = client.makeServerStreamRequest(path, identity, identity, bytes, new grpc.Metadata(), { deadline });
      stream.on("data", () => {});
      stream.on("error", (err: grpc.ServiceError) => resolve(err.code));
      stream.on("end", () => resolve(grpc.status.OK));
    } else {
      client.makeUnaryRequest(path, identity, identity, bytes, new grpc.Metadata(), { deadline }, (err) => resolve(err ? err.code : grpc.status.OK));
    }
  });
}

/** A small seeded PRNG (mulberry32): the fuzz run is the same every time. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("malformed requests never run", function () {
  this.timeout(120_000);
  let agent: TestAgent;
  let raw: grpc.Client;
  let types: protobuf.Root;
  before(async () => {
    agent = await startTestAgent();
    raw = rawClient(agent.address, filesFor(agent.pkiDir, "admin"));
    types = protobuf.loadSync([WORKER_SERVICE_PROTO, AUTH_SERVICE_PROTO]);
    types.resolveAll();
  });
  after(async () => {
    raw?.close();
    await agent.stop();
    agent.cleanup();
  });

  const jobCount = async () => (await call<object, ListResponse__Output>(workerClient(agent.address, filesFor(agent.pkiDir, "admin")), "List", {})).jobs.length;
  const start = (hex: string) => send(raw, "/workerservice.WorkerService/Start", Buffer.from(hex.replace(/ /g, ""), "hex"), false);

  const cases: [string, string][] = [
    // `echo -n /srv/data/old-build`, the last argument cut by 9 bytes: protobufjs 7 would run `echo -n /srv/data/`.
    ["a string truncated inside its last argument", "0a046563686f12022d6e12132f7372762f646174612f"],
    ["commandName with the wrong wire type (varint)", "0801"],
    ["an unterminated group", "0b"],
    ["a 2^32-1 length prefix", "0a04 74727565 12ffffffff0f"],
    ["an 11-byte varint", "0a04 74727565 20 8080808080808080808001"],
    ["200k nested groups", "0a0474727565" + "0b".repeat(200_000)],
    ["invalid UTF-8 in the command (25 73 ff fe)", "0a042573fffe"],
    ["invalid UTF-8 in an argument", "0a0474727565 1202c328"],
  ];
  for (const [what, hex] of cases) {
    it(`Start refuses ${what} with INVALID_ARGUMENT, and starts nothing`, async () => {
      const before = await jobCount();
      expect(await start(hex)).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(await jobCount()).to.equal(before);
    });
  }

  it("every RPC of both services refuses a length that runs past the end, with INVALID_ARGUMENT", async () => {
    const overlong = Buffer.from("0aff01", "hex");
    for (const method of WORKER_METHODS) {
      expect(await send(raw, `/workerservice.WorkerService/${method}`, overlong, STREAMING.has(method)), method).to.equal(grpc.status.INVALID_ARGUMENT);
    }
    expect(await send(raw, "/authservice.AuthService/Login", overlong, false)).to.equal(grpc.status.INVALID_ARGUMENT);
  });

  it("a well-formed Start still runs (the check refuses only what is malformed)", async () => {
    const before = await jobCount();
    expect(await start("0a0474727565")).to.equal(grpc.status.OK); // commandName "true"
    expect(await jobCount()).to.equal(before + 1);
  });

  it("fuzz (seeded, bounded): random and mutated messages to every RPC get a status; no malformed Start starts a job; the agent stays healthy", async () => {
    const random = prng(20261201);
    const byte = () => Math.floor(random() * 256);
    const Start = types.lookupType("workerservice.StartRequest");
    const valid = [
      Start.encode(Start.fromObject({ commandName: "true", arguments: ["a", "b c"] })).finish(),
      Start.encode(Start.fromObject({ commandName: "true", limits: { cpuCores: 0, pids: 0 }, gracePeriodMs: 5 })).finish(),
    ].map((b) => Buffer.from(b));
    const mutate = (base: Buffer): Buffer => {
      const b = Buffer.from(base);
      switch (Math.floor(random() * 4)) {
        case 0: return b.subarray(0, Math.floor(random() * b.length)); // truncated
        case 1: b[Math.floor(random() * b.length)] = byte(); return b; // one byte changed
        case 2: return Buffer.concat([b, Buffer.from(Array.from({ length: 1 + Math.floor(random() * 8) }, byte))]); // junk after
        default: return Buffer.from(Array.from({ length: Math.floor(random() * 40) }, byte)); // random bytes
      }
    };
    let started = await jobCount();
    let malformedStarts = 0;
    for (let i = 0; i < 300; i++) {
      const bytes = mutate(valid[i % valid.length]);
      const method = i % 3 === 0 ? WORKER_METHODS[Math.floor(random() * WORKER_METHODS.length)] : "Start";
      const type = types.lookupService("workerservice.WorkerService").methods[method].resolvedRequestType!;
      const malformed = wireProblem(type, bytes) !== undefined;
      const code = await send(raw, `/workerservice.WorkerService/${method}`, bytes, STREAMING.has(method));
      expect(code, `#${i} ${method} ${bytes.toString("hex")}`).to.be.a("number");
      if (malformed) expect(code, `#${i} ${method} ${bytes.toString("hex")}`).to.equal(grpc.status.INVALID_ARGUMENT);
      if (method === "Start") {
        const now = await jobCount();
        if (malformed) {
          malformedStarts++;
          expect(now, `#${i} malformed Start ${bytes.toString("hex")} started a job`).to.equal(started);
        }
        started = now;
      }
    }
    expect(malformedStarts).to.be.greaterThan(100); // the run did exercise what it is for
    expect(await start("0a0474727565")).to.equal(grpc.status.OK);
  });
});
