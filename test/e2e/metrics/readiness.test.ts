// /readyz of the real jobagent binary: 200 while serving, 503 from the moment
// it starts shutting down (while /healthz still says the process serves).
import { expect } from "chai";
import { call, filesFor, readOutput, workerClient } from "../../helpers/client.js";
import { eventually } from "../../helpers/wait.js";
import { startTestAgent } from "../../helpers/agent.js";

describe("jobagent readiness", () => {
  it("/readyz turns 503 on SIGTERM while running jobs are being stopped; /healthz stays 200", async () => {
    const agent = await startTestAgent({ args: ["--stop-jobs-on-shutdown"] }); // otherwise shutdown leaves jobs running, at once
    const admin = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
    try {
      const url = (path: string) => `http://127.0.0.1:${agent.metricsPort}${path}`;
      expect((await fetch(url("/readyz"))).status).to.equal(200);
      // Ignores SIGTERM: shutdown waits out its 3 s grace period, our window to look.
      const { jobID } = await call<object, { jobID: Buffer }>(admin, "Start", { commandName: "sh", arguments: ["-c", "trap '' TERM; echo armed; sleep 30 & wait; wait"], gracePeriodMs: 3000 });
      await eventually("the job to ignore SIGTERM", async () => (await readOutput(admin, { jobID, noFollow: true })).toString() === "armed\n");
      const exited = agent.stop("SIGTERM");
      await eventually("/readyz to answer 503", async () => (await fetch(url("/readyz"))).status === 503);
      expect((await fetch(url("/healthz"))).status).to.equal(200);
      expect(await exited).to.equal(0);
    } finally {
      admin.close();
      await agent.stop();
      agent.cleanup();
    }
  });
});
