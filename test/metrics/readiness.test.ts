// /readyz of the real jobagent binary: 200 while serving, 503 from the moment
// it starts shutting down (while /healthz still says the process serves).
import { expect } from "chai";
import { call, filesFor, workerClient } from "../helpers/client.js";
import { startTestAgent } from "../helpers/agent.js";
import { sleep } from "../helpers/tmp.js";

describe("jobagent readiness", () => {
  it("/readyz turns 503 on SIGTERM while running jobs are being stopped; /healthz stays 200", async () => {
    const agent = await startTestAgent({ args: ["--stop-jobs-on-shutdown"] }); // otherwise shutdown leaves jobs running, at once
    const admin = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
    try {
      const url = (path: string) => `http://127.0.0.1:${agent.metricsPort}${path}`;
      expect((await fetch(url("/readyz"))).status).to.equal(200);
      // Ignores SIGTERM: shutdown waits out its 3 s grace period, our window to look.
      await call(admin, "Start", { commandName: "sh", arguments: ["-c", "trap '' TERM; sleep 30 & wait; wait"], gracePeriodMs: 3000 });
      await sleep(200);
      const exited = agent.stop("SIGTERM");
      let ready = 200;
      for (let i = 0; i < 100 && ready === 200; i++) {
        ready = (await fetch(url("/readyz"))).status;
        if (ready === 200) await sleep(20);
      }
      expect(ready).to.equal(503);
      expect((await fetch(url("/healthz"))).status).to.equal(200);
      expect(await exited).to.equal(0);
    } finally {
      admin.close();
      await agent.stop();
      agent.cleanup();
    }
  });
});
