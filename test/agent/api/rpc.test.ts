// What every RPC shares (agent/api/rpc.ts), through a real grpc-js server and
// client on loopback: the caller authenticated before the handler runs, errors
// answered with their status (status.ts), and one log line and one rpcFinished
// event per call, with identity, method, job id, status code and duration.
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { RpcContext, type AnyCall } from "../../../agent/api/rpc.js";
import type { Identity } from "../../../agent/auth/identity.js";
import { NotFoundError, ResourceExhaustedError, UnauthenticatedError } from "../../../agent/errors.js";
import { jobIdToBytes } from "../../../agent/jobs/ids.js";
import { workerservice } from "../../../proto/load.js";
import type { WorkerServiceClient } from "../../../proto/generated/workerservice/WorkerService.js";
import { eventually } from "../../helpers/wait.js";

type LogLine = Record<string, unknown>;
type StreamRun = (caller: Identity, request: { jobID: Buffer }, call: grpc.ServerWritableStream<unknown, unknown>, cancelled: AbortSignal) => Promise<void>;
type UnaryRun = (caller: Identity, request: { jobID: Buffer }) => Promise<object>;

/** The test's callers: the "user" metadata names one (role "user"); a call without it is unauthenticated. */
async function fromMetadata(call: AnyCall): Promise<Identity> {
  const [name] = call.metadata.get("user");
  if (name === undefined) throw new UnauthenticatedError("no user metadata");
  return { name: String(name), role: "user" };
}

function asUser(name: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("user", name);
  return metadata;
}

describe("RpcContext", () => {
  let server: grpc.Server;
  let client: WorkerServiceClient;
  let logs: LogLine[];
  let finished: [method: string, code: string, seconds: number][];
  // What the handlers under test do; each test sets its own.
  let streamRun: StreamRun;
  let unaryRun: UnaryRun;

  before(async () => {
    const logger = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
    // Every event the context reports, recorded when it is rpcFinished.
    const events = new Proxy({}, {
      get: (_target, event) => (...args: unknown[]) => {
        if (event === "rpcFinished") finished.push(args as [string, string, number]);
      },
    }) as ConstructorParameters<typeof RpcContext>[1];
    const rpc = new RpcContext(logger, events, fromMetadata);
    server = new grpc.Server();
    server.addService(workerservice().WorkerService.service, {
      GetOutput: rpc.serverStream("GetOutput", (caller, request: { jobID: Buffer }, call, cancelled) => streamRun(caller, request, call, cancelled)),
      QueryStatus: rpc.unary("QueryStatus", (caller, request: { jobID: Buffer }) => unaryRun(caller, request)),
      // Login-style: its own authentication, whatever the context's is.
      AgentInfo: rpc.unary("AgentInfo", (caller) => ({ identity: caller.name, role: caller.role }), async () => ({ name: "certificate-cn", role: undefined })),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    client = new (workerservice().WorkerService)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  beforeEach(() => {
    logs = [];
    finished = [];
  });
  after(() => {
    client.close();
    server.forceShutdown();
  });

  /** The messages a GetOutput stream delivered and how it ended (its error, if any). */
  function readStream(jobID: Buffer, metadata = new grpc.Metadata()): Promise<{ outputs: string[]; error?: grpc.ServiceError }> {
    return new Promise((resolve) => {
      const outputs: string[] = [];
      const stream = client.GetOutput({ jobID }, metadata);
      stream.on("data", (message: { output: Buffer }) => outputs.push(message.output.toString()));
      stream.on("error", (error: grpc.ServiceError) => resolve({ outputs, error }));
      stream.on("end", () => resolve({ outputs }));
    });
  }

  function queryStatus(jobID: Buffer, metadata: grpc.Metadata): Promise<{ response?: object; error?: grpc.ServiceError }> {
    return new Promise((resolve) => client.QueryStatus({ jobID }, metadata, (error, response) => resolve(error ? { error } : { response })));
  }

  /** The one log line of the call (the server writes it just before it answers). */
  const logLine = () => eventually("the call's log line", () => logs.length > 0 && logs).then((lines) => {
    expect(lines).to.have.length(1);
    return lines[0]!;
  });

  describe("serverStream", () => {
    it("runs with the authenticated caller and the request, ends the stream, and logs and records the call OK", async () => {
      const id = randomUUID();
      streamRun = async (caller, request, call) => {
        call.write({ output: Buffer.from(`for ${caller.name}`), offset: 0 });
        call.write({ output: Buffer.from(`job ${request.jobID.length} bytes`), offset: 1 });
      };
      const { outputs, error } = await readStream(jobIdToBytes(id), asUser("alice"));
      expect(error).to.equal(undefined);
      expect(outputs).to.deep.equal(["for alice", "job 16 bytes"]);
      const line = await logLine();
      expect(line).to.include({ level: 30, msg: "rpc", method: "GetOutput", jobId: id, identity: "alice", role: "user", code: "OK" });
      expect(line.durationMs).to.be.a("number");
      expect(finished.map(([method, code]) => [method, code])).to.deep.equal([["GetOutput", "OK"]]);
      expect(finished[0]![2]).to.be.a("number").at.least(0);
    });

    it("fails the stream with the error's status and details after what was written, logged as a refusal, not a failure", async () => {
      streamRun = async (_caller, _request, call) => {
        call.write({ output: Buffer.from("first"), offset: 0 });
        throw new NotFoundError("job gone");
      };
      const { outputs, error } = await readStream(jobIdToBytes(randomUUID()), asUser("alice"));
      expect(outputs).to.deep.equal(["first"]);
      expect(error).to.include({ code: grpc.status.NOT_FOUND, details: "job gone" });
      expect(await logLine()).to.include({ level: 30, msg: "rpc", code: "NOT_FOUND", identity: "alice" });
      expect(finished.map(([, code]) => code)).to.deep.equal(["NOT_FOUND"]);
    });

    it("answers UNAUTHENTICATED without running the handler when authentication fails", async () => {
      let ran = false;
      streamRun = async () => void (ran = true);
      const { error } = await readStream(jobIdToBytes(randomUUID()));
      expect(error).to.include({ code: grpc.status.UNAUTHENTICATED, details: "no user metadata" });
      expect(ran).to.equal(false);
      const line = await logLine();
      expect(line).to.include({ code: "UNAUTHENTICATED" });
      expect(line).not.to.have.property("identity");
    });

    it("answers an unexpected error INTERNAL with generic details, and logs it in full at error level", async () => {
      streamRun = async () => {
        throw new TypeError("the secret cause");
      };
      const { error } = await readStream(jobIdToBytes(randomUUID()), asUser("alice"));
      expect(error).to.include({ code: grpc.status.INTERNAL, details: "internal error (see the agent's log)" });
      const line = await logLine();
      expect(line).to.include({ level: 50, msg: "rpc failed", code: "INTERNAL" });
      expect(line.err).to.include({ type: "TypeError", message: "the secret cause" });
    });

    it("aborts `cancelled` when the client cancels the call, and records the call CANCELLED", async () => {
      let aborted = false;
      streamRun = async (_caller, _request, call, cancelled) => {
        call.write({ output: Buffer.from("one"), offset: 0 });
        await new Promise((resolve) => cancelled.addEventListener("abort", resolve, { once: true }));
        aborted = true;
      };
      const stream = client.GetOutput({ jobID: jobIdToBytes(randomUUID()) }, asUser("alice"));
      stream.on("error", () => undefined); // CANCELLED, on the client's side too
      await new Promise((resolve) => stream.once("data", resolve));
      stream.cancel();
      const line = await logLine();
      expect(aborted).to.equal(true);
      expect(line).to.include({ msg: "rpc", code: "CANCELLED", identity: "alice" });
      expect(finished.map(([, code]) => code)).to.deep.equal(["CANCELLED"]);
    });

    it("leaves the job id out of the log line when the request's is not one", async () => {
      streamRun = async () => undefined;
      await readStream(Buffer.from("not a job id"), asUser("alice"));
      expect(await logLine()).not.to.have.property("jobId");
    });
  });

  describe("unary", () => {
    it("answers the response of run with the authenticated caller, logged and recorded OK", async () => {
      const id = randomUUID();
      unaryRun = async (caller) => ({ owner: caller.name, commandName: "true" });
      const { response } = await queryStatus(jobIdToBytes(id), asUser("bob"));
      expect(response).to.include({ owner: "bob", commandName: "true" });
      expect(await logLine()).to.include({ level: 30, msg: "rpc", method: "QueryStatus", jobId: id, identity: "bob", role: "user", code: "OK" });
      expect(finished.map(([method, code]) => [method, code])).to.deep.equal([["QueryStatus", "OK"]]);
    });

    it("answers a refusal with its status, details and retry-after trailing metadata", async () => {
      unaryRun = async () => {
        throw new ResourceExhaustedError("too many", { retryAfterMs: 1500 });
      };
      const { error } = await queryStatus(jobIdToBytes(randomUUID()), asUser("bob"));
      expect(error).to.include({ code: grpc.status.RESOURCE_EXHAUSTED, details: "too many" });
      expect(error!.metadata.get("retry-after")).to.deep.equal(["2"]);
      expect(await logLine()).to.include({ code: "RESOURCE_EXHAUSTED" });
    });

    it("authenticates with the method's own authentication when it has one", async () => {
      const response = await new Promise<{ identity: string; role: string }>((resolve, reject) =>
        client.AgentInfo({}, (err, res) => (err ? reject(err) : resolve(res as { identity: string; role: string }))),
      );
      expect(response).to.include({ identity: "certificate-cn", role: "" });
      expect(await logLine()).to.include({ method: "AgentInfo", identity: "certificate-cn", code: "OK" });
    });
  });
});
