// One owner cannot starve another (issue 9), through the real agent over
// mutual TLS with two identities of its development PKI, alice and bob, and
// only the global limits configured: the per-owner ones take their defaults
// (half, rounded up).
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { StartResponse__Output } from "../../proto/generated/workerservice/StartResponse.js";
import type { StopResponse__Output } from "../../proto/generated/workerservice/StopResponse.js";
import type { WorkerServiceClient } from "../../proto/generated/workerservice/WorkerService.js";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { call, filesFor, workerClient } from "../helpers/client.js";

describe("per-owner limits end to end (mTLS, maxConcurrentJobs 5, maxFinishedJobs 3)", function () {
  let agent: TestAgent;
  const clients: Record<string, WorkerServiceClient> = {};

  // An agent of its own for each scenario, so that neither sees the other's records.
  beforeEach(async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "jobagent-test-"));
    writeFileSync(join(stateDir, "agent.yaml"), "apiVersion: jobworker/v1\nkind: AgentConfig\njobs:\n  maxConcurrentJobs: 5\n  retention: {maxFinishedJobs: 3}\n");
    agent = await startTestAgent({ stateDir, args: ["--config", join(stateDir, "agent.yaml")] });
    for (const name of ["alice", "bob"]) clients[name] = workerClient(agent.address, filesFor(agent.pkiDir, name));
  });
  afterEach(async () => {
    for (const client of Object.values(clients)) client.close();
    expect(await agent.stop()).to.equal(0);
    agent.cleanup();
  });

  const start = (who: string, commandName: string, args: string[]) => call<object, StartResponse__Output>(clients[who], "Start", { commandName, arguments: args });
  const status = (who: string, jobID: Buffer) => call<object, QueryStatusResponse__Output>(clients[who], "QueryStatus", { jobID });
  // Stop answers once the job has ended and its end (retention included) is recorded; a finished job is no error.
  const ended = (who: string, jobID: Buffer) => call<object, StopResponse__Output>(clients[who], "Stop", { jobID, gracePeriodMs: 0 });

  it("alice starting 5 jobs does not make bob's Start RESOURCE_EXHAUSTED", async () => {
    const attempts = [];
    for (let i = 0; i < 5; i++) attempts.push(await start("alice", "sleep", ["600"]).then((res) => res, (err: grpc.ServiceError) => err));
    const started = attempts.filter((a): a is StartResponse__Output => "jobID" in a);
    const refused = attempts.filter((a): a is grpc.ServiceError => !("jobID" in a));
    expect(started).to.have.length(3);
    for (const err of refused) {
      expect(grpc.status[err.code]).to.equal("RESOURCE_EXHAUSTED");
      expect(err.details).to.match(/for owner alice: 3 \(per-owner limit 3, jobs.maxConcurrentJobsPerOwner\)/);
    }
    const bob = await start("bob", "sleep", ["600"]);
    for (const job of [...started]) await ended("alice", job.jobID);
    await ended("bob", bob.jobID);
  });

  it("alice's 4 ended jobs do not delete bob's record", async () => {
    const bob = await start("bob", "true", []);
    await ended("bob", bob.jobID);
    const alice: Buffer[] = [];
    for (let i = 0; i < 4; i++) {
      const { jobID } = await start("alice", "true", []);
      await ended("alice", jobID);
      alice.push(jobID);
    }
    expect((await status("bob", bob.jobID)).id).to.equal(bob.id);
    expect((await status("alice", alice[3])).JobStatus).to.be.oneOf(["EXITED", "STOPPED"]);
    const gone = await status("alice", alice[0]).then(() => undefined, (err: grpc.ServiceError) => err);
    expect(gone?.code).to.equal(grpc.status.NOT_FOUND); // alice's own oldest went instead
  });
});
