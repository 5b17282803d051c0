// INTERNAL: a real failure inside the agent (its state directory broken under
// it) answers INTERNAL with a generic message, logs the cause, and the agent
// keeps serving once the cause is gone.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { eventually } from "../helpers/wait.js";
import { call, filesFor, readOutput, workerClient } from "../helpers/client.js";

describe("INTERNAL errors", () => {
  let agent: TestAgent;
  before(async () => (agent = await startTestAgent()));
  after(async () => {
    await agent.stop();
    agent.cleanup();
  });

  it("answers INTERNAL when the state directory cannot hold a new job, then recovers", async () => {
    const client = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
    const jobs = join(agent.stateDir, "jobs");
    renameSync(jobs, `${jobs}.moved`);
    writeFileSync(jobs, "not a directory");
    try {
      await call(client, "Start", { commandName: "true" });
      expect.fail("Start should fail");
    } catch (err) {
      const e = err as grpc.ServiceError;
      expect(e.code).to.equal(grpc.status.INTERNAL);
      expect(e.details).to.equal("internal error (see the agent's log)");
    }
    // The log line travels through the agent's stdout: it may arrive after the answer.
    const logged = await eventually("the rpc failed log line", () => agent.logs.find((l) => l.msg === "rpc failed" && l.method === "Start"));
    expect(logged).to.include({ code: "INTERNAL", identity: "admin" });
    expect(JSON.stringify(logged!.err)).to.match(/ENOTDIR|EEXIST/);

    rmSync(jobs);
    renameSync(`${jobs}.moved`, jobs);
    const started = await call<object, { jobID: Buffer }>(client, "Start", { commandName: "echo", arguments: ["fine"] });
    expect((await readOutput(client, { jobID: started.jobID })).toString()).to.equal("fine\n");
    client.close();
  });
});
