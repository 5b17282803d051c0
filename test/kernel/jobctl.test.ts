// jobctl against a real agent on a cgroup v2 kernel: `run` exits with the
// distinct OOM code, and `top` shows live usage from the job's cgroup.
import { expect } from "chai";
import type { RunningAgent } from "../../agent/agent.js";
import { RunExit } from "../../ctl/exit-codes.js";
import { startKernelAgent, type KernelAgent } from "./kernel-agent.js";

describe("jobctl on a cgroup v2 kernel", function () {
  let kernel: KernelAgent;
  let agent: RunningAgent;

  before(async () => {
    kernel = await startKernelAgent();
    agent = kernel.agent;
  });
  after(async () => {
    await kernel?.close();
  });

  const jobctl = (args: string[]) => kernel.jobctl(args);

  it("run exits with the OOM code when the job is OOM-killed", async () => {
    const result = await jobctl(["run", "--memory", "32Mi", "--", "tail", "/dev/zero"]);
    expect(result.code, result.stderr).to.equal(RunExit.OomKilled);
    expect(result.stderr).to.match(/OOM-killed/);
  });

  it("top shows a running job's live CPU and memory", async () => {
    const { id } = await agent.jobs.start("admin", "sh", ["-c", "while :; do :; done"]);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const result = await jobctl(["top"]);
      expect(result.code, result.stderr).to.equal(0);
      const line = result.stdout.split("\n").find((l) => l.startsWith(id));
      expect(line, result.stdout).to.not.equal(undefined);
      expect(line).to.not.match(/\s-\s/); // real numbers, not the "unavailable" dash
    } finally {
      await agent.jobs.stop(id, 0);
    }
  });
});
