// Job records and output outlive the agent; nothing is orphaned silently.
import { expect } from "chai";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { StartResponse__Output } from "../../proto/generated/workerservice/StartResponse.js";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { call, filesFor, readOutput, workerClient } from "../helpers/client.js";
import { isAlive } from "../helpers/proc.js";

describe("agent restart", () => {
  let agent: TestAgent;
  afterEach(async () => {
    await agent.stop("SIGKILL");
    agent.cleanup();
  });

  const client = (a: TestAgent) => workerClient(a.address, filesFor(a.pkiDir, "admin"));
  const start = (a: TestAgent, commandName: string, args: string[]) =>
    call<object, StartResponse__Output>(client(a), "Start", { commandName, arguments: args });
  const status = (a: TestAgent, jobID: Buffer) => call<object, QueryStatusResponse__Output>(client(a), "QueryStatus", { jobID });

  it("after a crash: finished jobs keep status and output; a job left running is killed and recorded Orphaned", async () => {
    agent = await startTestAgent();
    const done = await start(agent, "sh", ["-c", "printf 'kept \\000 bytes'; exit 5"]);
    await readOutput(client(agent), { jobID: done.jobID });
    const running = await start(agent, "sh", ["-c", "sleep 1000 & wait"]);
    const { pid } = await status(agent, running.jobID);
    expect(isAlive(pid)).to.equal(true);

    await agent.stop("SIGKILL"); // the agent dies without stopping anything
    expect(isAlive(pid)).to.equal(true);
    agent = await startTestAgent({ stateDir: agent.stateDir });

    expect(await status(agent, done.jobID)).to.include({ JobStatus: "EXITED", exitCode: 5, reason: "Error" });
    expect((await readOutput(client(agent), { jobID: done.jobID })).equals(Buffer.from("kept \0 bytes"))).to.equal(true);
    const orphan = await status(agent, running.jobID);
    expect(orphan).to.include({ JobStatus: "STOPPED", reason: "Orphaned" });
    expect(orphan.message).to.match(/killed when the agent restarted/);
    expect(isAlive(pid)).to.equal(false);
  });

  it("on SIGTERM the agent stops running jobs, records them AgentShutdown, and exits 0", async () => {
    agent = await startTestAgent();
    const running = await start(agent, "sleep", ["1000"]);
    const { pid } = await status(agent, running.jobID);
    expect(await agent.stop("SIGTERM")).to.equal(0);
    expect(isAlive(pid)).to.equal(false);
    agent = await startTestAgent({ stateDir: agent.stateDir });
    expect(await status(agent, running.jobID)).to.include({ JobStatus: "STOPPED", reason: "AgentShutdown", signal: "SIGTERM" });
  });
});
