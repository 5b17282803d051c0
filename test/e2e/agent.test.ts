// End to end over real mutual TLS on loopback: the real jobagent binary, its
// generated development PKI, and gRPC clients for each role.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { WorkerServiceClient } from "../../proto/generated/workerservice/WorkerService.js";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { ListResponse__Output } from "../../proto/generated/workerservice/ListResponse.js";
import type { StartResponse__Output } from "../../proto/generated/workerservice/StartResponse.js";
import type { AgentInfoResponse__Output } from "../../proto/generated/workerservice/AgentInfoResponse.js";
import type { StopResponse__Output } from "../../proto/generated/workerservice/StopResponse.js";
import { createCa, issueClientCert, loadCa } from "../../certs/pki.js";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { eventually } from "../helpers/wait.js";
import { call, filesFor, readOutput, workerClient } from "../helpers/client.js";
import { isAlive } from "../helpers/proc.js";
import { SEED_000_PROTO } from "./seed-compat.test.js";

type Status = QueryStatusResponse__Output;

describe("jobagent end to end (mTLS on loopback)", function () {
  let agent: TestAgent;
  const clients: Record<string, WorkerServiceClient> = {};

  before(async () => {
    agent = await startTestAgent();
    for (const name of ["admin", "alice", "bob", "viewer"]) clients[name] = workerClient(agent.address, filesFor(agent.pkiDir, name));
  });
  after(async () => {
    for (const client of Object.values(clients)) client.close();
    expect(await agent.stop()).to.equal(0);
    agent.cleanup();
  });

  const start = (who: string, commandName: string, args: string[] = [], extra: object = {}) =>
    call<object, StartResponse__Output>(clients[who], "Start", { commandName, arguments: args, ...extra });
  const status = (who: string, jobID: Buffer | string) => call<object, Status>(clients[who], "QueryStatus", { jobID: Buffer.from(jobID) });
  const stop = (who: string, jobID: Buffer | string, gracePeriodMs?: number) =>
    call<object, StopResponse__Output>(clients[who], "Stop", { jobID: Buffer.from(jobID), gracePeriodMs });
  const list = (who: string) => call<object, ListResponse__Output>(clients[who], "List", {});
  async function finished(who: string, jobID: Buffer): Promise<Status> {
    await readOutput(clients[who], { jobID }); // the output ends when the job has
    return status(who, jobID);
  }
  async function expectCode(promise: Promise<unknown>, code: grpc.status, pattern?: RegExp): Promise<void> {
    try {
      await promise;
    } catch (err) {
      const e = err as grpc.ServiceError;
      expect(grpc.status[e.code], e.details).to.equal(grpc.status[code]);
      if (pattern) expect(e.details).to.match(pattern);
      return;
    }
    expect.fail(`expected ${grpc.status[code]}`);
  }

  describe("seed 000 operations", () => {
    it("starts a job and returns its id as 16 raw bytes (and as text)", async () => {
      const res = await start("admin", "echo", ["hi"]);
      expect(res.jobID).to.have.length(16);
      expect(res.id).to.match(/^[0-9a-f-]{36}$/);
      expect(res.jobID.toString("hex")).to.equal(res.id.replace(/-/g, ""));
    });

    it("queries status with the raw or the text id", async () => {
      const { jobID, id } = await start("admin", "sh", ["-c", "exit 7"]);
      const byRaw = await finished("admin", jobID);
      expect(byRaw).to.include({ JobStatus: "EXITED", exitCode: 7, commandName: "sh", reason: "Error", owner: "admin", id });
      expect(byRaw.arguments).to.deep.equal(["-c", "exit 7"]);
      expect(byRaw.startTime).to.not.equal(null);
      expect(byRaw.endTime).to.not.equal(null);
      expect(await status("admin", id)).to.deep.equal(byRaw);
    });

    it("streams output from byte 0 to every reader, then live", async () => {
      const { jobID } = await start("admin", "sh", ["-c", "echo one; sleep 0.3; echo two"]);
      const [a, b] = await Promise.all([readOutput(clients.admin, { jobID }), readOutput(clients.viewer, { jobID })]);
      expect(a.toString()).to.equal("one\ntwo\n");
      expect(b.toString()).to.equal("one\ntwo\n");
      // A reader that starts after the job ended still gets everything.
      expect((await readOutput(clients.admin, { jobID })).toString()).to.equal("one\ntwo\n");
      expect((await readOutput(clients.admin, { jobID, offset: 4 })).toString()).to.equal("two\n");
    });

    it("stops a running job: SIGTERM, and the job ends STOPPED", async () => {
      const { jobID } = await start("admin", "sleep", ["1000"]);
      const res = await stop("admin", jobID);
      expect(res.status).to.include({ JobStatus: "STOPPED", reason: "Stopped", signal: "SIGTERM", exitCode: -1 });
      expect((await status("admin", jobID)).JobStatus).to.equal("STOPPED");
      // Stopping again is not an error.
      expect((await stop("admin", jobID)).status!.JobStatus).to.equal("STOPPED");
    });

    it("reports a command that cannot start as FAILED with the reason, and the failed step and errno in startFailure", async () => {
      const { jobID } = await start("admin", "/nonexistent/binary");
      const s = await finished("admin", jobID);
      expect(s).to.include({ JobStatus: "FAILED", reason: "FailedToStart" });
      expect(s.message).to.match(/No such file or directory/);
      expect(s.startFailure).to.deep.equal({ step: "exec", errnoName: "ENOENT" });
    });

    it("lists jobs", async () => {
      const { id } = await start("admin", "true");
      expect((await list("admin")).jobs.map((j) => j.id)).to.include(id);
    });
  });

  describe("roles", () => {
    it("user: works on its own jobs; others' jobs are NOT_FOUND and not listed", async () => {
      const { jobID, id } = await start("alice", "sleep", ["1000"]);
      expect((await status("alice", jobID)).owner).to.equal("alice");
      await expectCode(status("bob", jobID), grpc.status.NOT_FOUND);
      await expectCode(stop("bob", jobID), grpc.status.NOT_FOUND);
      await expectCode(readOutput(clients.bob, { jobID }), grpc.status.NOT_FOUND);
      const bobs = await list("bob");
      expect(bobs.jobs.map((j) => j.id)).to.not.include(id);
      expect(bobs.jobs.every((j) => j.owner === "bob")).to.equal(true);
      // The unknown-id answer and the not-yours answer are the same: nothing leaks.
      const other = randomUUID();
      await expectCode(status("bob", other), grpc.status.NOT_FOUND, new RegExp(`job ${other} not found`));
      await expectCode(status("bob", jobID), grpc.status.NOT_FOUND, new RegExp(`job ${id} not found`));
      expect((await stop("alice", jobID, 0)).status!.JobStatus).to.equal("STOPPED");
    });

    it("admin: sees and stops everyone's jobs", async () => {
      const { jobID, id } = await start("bob", "sleep", ["1000"]);
      expect((await list("admin")).jobs.map((j) => j.id)).to.include(id);
      expect((await stop("admin", jobID, 0)).status!.JobStatus).to.equal("STOPPED");
    });

    it("readonly: queries, lists and streams all jobs; never starts or stops", async () => {
      const { jobID, id } = await start("alice", "echo", ["visible"]);
      expect((await readOutput(clients.viewer, { jobID })).toString()).to.equal("visible\n");
      expect((await status("viewer", jobID)).owner).to.equal("alice");
      expect((await list("viewer")).jobs.map((j) => j.id)).to.include(id);
      await expectCode(start("viewer", "true"), grpc.status.PERMISSION_DENIED, /may not start/);
      await expectCode(stop("viewer", jobID), grpc.status.PERMISSION_DENIED, /may not stop/);
    });

    it("a certificate without a role, or with an unknown role, is PERMISSION_DENIED", async () => {
      const ca = await loadCa(join(agent.pkiDir, "ca.crt"), join(agent.pkiDir, "ca.key"));
      for (const [role, pattern] of [[undefined, /carries no role/], ["superuser", /unknown role "superuser"/]] as const) {
        const issued = await issueClientCert(ca, { name: "mallory", role: role as string });
        const client = workerClient(agent.address, { ca: readFileSync(join(agent.pkiDir, "ca.crt")), cert: Buffer.from(issued.certPem), key: Buffer.from(issued.keyPem) });
        await expectCode(call(client, "List", {}), grpc.status.PERMISSION_DENIED, pattern);
        client.close();
      }
    });
  });

  describe("status codes", () => {
    it("INVALID_ARGUMENT: malformed ids", async () => {
      await expectCode(status("admin", Buffer.alloc(0)), grpc.status.INVALID_ARGUMENT, /required/);
      await expectCode(status("admin", Buffer.alloc(5)), grpc.status.INVALID_ARGUMENT, /must be a UUID as 16 raw bytes or 36 characters/);
      await expectCode(status("admin", "not-a-uuid-not-a-uuid-not-a-uuid-xx"), grpc.status.INVALID_ARGUMENT, /must be a UUID/);
      await expectCode(readOutput(clients.admin, { jobID: Buffer.alloc(3) }), grpc.status.INVALID_ARGUMENT);
    });

    it("NOT_FOUND: a well-formed UUID of any version that names no job (16 random bytes, a version 1 text id)", async () => {
      await expectCode(status("admin", Buffer.from("0123456789abcdef0123456789abcdef", "hex")), grpc.status.NOT_FOUND, /not found/);
      await expectCode(status("admin", "6f1c1f5e-4c1a-1d2b-9a7e-2b1a3c4d5e6f"), grpc.status.NOT_FOUND, /not found/);
      await expectCode(readOutput(clients.admin, { jobID: Buffer.alloc(16, 0xff) }), grpc.status.NOT_FOUND);
    });

    it("INVALID_ARGUMENT: empty command and oversize input, each limit", async () => {
      await expectCode(start("admin", ""), grpc.status.INVALID_ARGUMENT, /commandName is empty/);
      await expectCode(start("admin", "x".repeat(5000)), grpc.status.INVALID_ARGUMENT, /commandName is 5000 bytes \(limit 4096\)/);
      await expectCode(start("admin", "echo", Array(1025).fill("a")), grpc.status.INVALID_ARGUMENT, /too many arguments: 1025 \(limit 1024\)/);
      await expectCode(start("admin", "echo", ["y".repeat(40000)]), grpc.status.INVALID_ARGUMENT, /arguments\[0\] is 40000 bytes/);
      await expectCode(start("admin", "echo", Array(10).fill("z".repeat(30000))), grpc.status.INVALID_ARGUMENT, /limit 262144/);
      await expectCode(start("admin", "echo", ["a\0b"]), grpc.status.INVALID_ARGUMENT, /NUL/);
      await expectCode(start("admin", "true", [], { gracePeriodMs: 3600_001 }), grpc.status.INVALID_ARGUMENT, /gracePeriodMs/);
    });

    it("RESOURCE_EXHAUSTED: a request over the 4 MiB message limit (refused by gRPC itself)", async () => {
      await expectCode(start("admin", "echo", ["q".repeat(5 * 1024 * 1024)]), grpc.status.RESOURCE_EXHAUSTED);
    });

    it("NOT_FOUND: an unknown job", async () => {
      await expectCode(status("admin", randomUUID()), grpc.status.NOT_FOUND);
      await expectCode(stop("admin", randomUUID()), grpc.status.NOT_FOUND);
      await expectCode(readOutput(clients.admin, { jobID: randomUUID() }), grpc.status.NOT_FOUND);
    });

    it("UNAUTHENTICATED on every RPC: no client certificate", async () => {
      const anonymous = workerClient(agent.address, filesFor(agent.pkiDir));
      const jobID = randomUUID();
      await expectCode(call(anonymous, "Start", { commandName: "true" }), grpc.status.UNAUTHENTICATED, /client certificate/);
      await expectCode(call(anonymous, "Stop", { jobID: Buffer.from(jobID) }), grpc.status.UNAUTHENTICATED);
      await expectCode(call(anonymous, "QueryStatus", { jobID: Buffer.from(jobID) }), grpc.status.UNAUTHENTICATED);
      await expectCode(call(anonymous, "List", {}), grpc.status.UNAUTHENTICATED);
      await expectCode(readOutput(anonymous, { jobID }), grpc.status.UNAUTHENTICATED);
      anonymous.close();
    });

    it("UNAUTHENTICATED: a certificate from another CA", async () => {
      const otherCa = await createCa({ commonName: "someone else's CA" });
      const issued = await issueClientCert(otherCa, { name: "admin", role: "admin" });
      const client = workerClient(agent.address, { ca: readFileSync(join(agent.pkiDir, "ca.crt")), cert: Buffer.from(issued.certPem), key: Buffer.from(issued.keyPem) });
      await expectCode(call(client, "List", {}), grpc.status.UNAUTHENTICATED);
      await expectCode(call(client, "Start", { commandName: "true" }), grpc.status.UNAUTHENTICATED);
      client.close();
    });

    it("UNAUTHENTICATED: an expired certificate from the right CA", async () => {
      const ca = await loadCa(join(agent.pkiDir, "ca.crt"), join(agent.pkiDir, "ca.key"));
      const day = 24 * 3600 * 1000;
      const issued = await issueClientCert(ca, { name: "admin", role: "admin", notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) });
      const client = workerClient(agent.address, { ca: readFileSync(join(agent.pkiDir, "ca.crt")), cert: Buffer.from(issued.certPem), key: Buffer.from(issued.keyPem) });
      await expectCode(call(client, "List", {}), grpc.status.UNAUTHENTICATED);
      client.close();
    });
  });

  describe("least privilege and resource control", () => {
    const info = (who: string) => call<object, AgentInfoResponse__Output>(clients[who], "AgentInfo", {});

    it("as root, runs each job as a uid of its own (gid the same, no supplementary groups) in a work directory it owns", async function () {
      if (process.getuid?.() !== 0) this.skip();
      const { jobID } = await start("admin", "sh", ["-c", "id -u; id -g; id -G; touch owned && stat -c %u owned; pwd"]);
      const out = (await readOutput(clients.admin, { jobID })).toString().trim().split("\n");
      const uid = Number(out[0]);
      expect(uid).to.be.within(70000, 79999);
      expect(out.slice(1, 4).map(Number)).to.deep.equal([uid, uid, uid]);
      expect(out[4]).to.match(/\/jobs\/[0-9a-f-]{36}\/work$/);
      expect(await status("admin", jobID)).to.include({ uid, gid: uid });
      expect((await info("viewer")).runAsUser).to.equal("a uid of its own per job (70000-79999)");
    });

    it("refuses runAsRoot unless the config allows it, and to non-admins always", async () => {
      await expectCode(start("admin", "id", [], { runAsRoot: true }), grpc.status.PERMISSION_DENIED, /jobs.allowRootJobs/);
      await expectCode(start("alice", "id", [], { runAsRoot: true }), grpc.status.PERMISSION_DENIED, /may not startAsRoot/);
    });

    it("reports its cgroup mode; without cgroup v2, limits are FAILED_PRECONDITION with the reason", async () => {
      const agentInfo = await info("alice");
      expect(agentInfo).to.include({ identity: "alice", role: "user", version: "0.1.0" });
      expect(agentInfo.cgroupMode).to.be.oneOf(["v2", "unavailable"]);
      if (agentInfo.cgroupMode === "unavailable") {
        expect(agentInfo.cgroupReason).to.not.equal("");
        const reason = new RegExp(agentInfo.cgroupReason.slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
        await expectCode(start("alice", "true", [], { limits: { memoryBytes: 1 << 28 } }), grpc.status.FAILED_PRECONDITION, reason);
        // Without limits the job runs.
        const { jobID } = await start("alice", "true");
        expect((await finished("alice", jobID)).JobStatus).to.equal("EXITED");
      }
    });

    it("rejects malformed limits with INVALID_ARGUMENT", async () => {
      await expectCode(start("alice", "true", [], { limits: { cpuCores: -1 } }), grpc.status.INVALID_ARGUMENT, /cpu limit -1/);
      await expectCode(start("alice", "true", [], { limits: { cpuCores: 0.001 } }), grpc.status.INVALID_ARGUMENT, /below the minimum/);
    });
  });

  describe("logging", () => {
    it("writes one line per RPC with identity, method, job id, status code and duration", async () => {
      const { id } = await start("alice", "true");
      await expectCode(status("bob", id), grpc.status.NOT_FOUND);
      // The log line travels through the agent's stdout: it may arrive after the answer.
      const line = await eventually("the QueryStatus log line", () => agent.logs.find((l) => l.msg === "rpc" && l.method === "QueryStatus" && l.jobId === id));
      expect(line).to.include({ identity: "bob", role: "user", code: "NOT_FOUND" });
      expect(line!.durationMs).to.be.a("number");
    });
  });

  describe("stop semantics", () => {
    it("a job whose grandchild ignores SIGTERM is completely gone after stop", async () => {
      const script = `sh -c 'trap "" TERM; echo $$; while :; do sleep 1; done' & wait`;
      const { jobID } = await start("admin", "sh", ["-c", script], { gracePeriodMs: 500 });
      let grandchild = "";
      for (let i = 0; i < 100 && grandchild === ""; i++) {
        grandchild = (await readOutput(clients.admin, { jobID, noFollow: true })).toString().trim();
        if (grandchild === "") await new Promise((r) => setTimeout(r, 50));
      }
      const { pid } = await status("admin", jobID);
      const res = await stop("admin", jobID);
      expect(res.status!.JobStatus).to.equal("STOPPED");
      expect(isAlive(Number(grandchild))).to.equal(false);
      expect(isAlive(pid)).to.equal(false);
    });
  });

  describe("a client generated only from seed 000's proto", () => {
    it("starts, queries, streams and stops a job", async () => {
      const seed = grpc.loadPackageDefinition(protoLoader.loadSync(SEED_000_PROTO)) as unknown as {
        workerservice: { WorkerService: new (address: string, credentials: grpc.ChannelCredentials, options?: object) => grpc.Client & Record<string, Function> };
      };
      const files = filesFor(agent.pkiDir, "admin");
      const client = new seed.workerservice.WorkerService(agent.address, grpc.credentials.createSsl(files.ca, files.key, files.cert), {
        "grpc.ssl_target_name_override": "localhost",
      });
      const unary = (method: string, request: object) =>
        new Promise<Record<string, unknown>>((resolve, reject) => client[method](request, (err: Error | null, res: Record<string, unknown>) => (err ? reject(err) : resolve(res))));

      const started = await unary("Start", { commandName: "sh", arguments: ["-c", "echo seed-client; exec sleep 1000"] });
      const jobID = started.jobID as Buffer;
      expect(jobID).to.have.length(16);
      // Seed 000's loader options: enums arrive as numbers (RUNNING = 1, STARTED = 4, STOPPED = 3).
      const running = await unary("QueryStatus", { jobID });
      expect(running).to.include({ commandName: "sh" });
      expect(running.JobStatus).to.be.oneOf([1, 4]);

      const stream = client.GetOutput({ jobID }) as grpc.ClientReadableStream<{ output: Buffer }>;
      const received: Buffer[] = [];
      const ended = new Promise<void>((resolve, reject) => {
        stream.on("data", (m) => received.push(m.output));
        stream.on("end", resolve);
        stream.on("error", reject);
      });
      while (Buffer.concat(received).toString() !== "seed-client\n") await new Promise((r) => setTimeout(r, 20));

      await unary("Stop", { jobID });
      await ended;
      expect(Buffer.concat(received).toString()).to.equal("seed-client\n");
      expect(await unary("QueryStatus", { jobID })).to.include({ JobStatus: 3, exitCode: -1 });
      client.close();
    });
  });
});
