import { expect } from "chai";
import { spawn } from "node:child_process";
import { MonitorWatch } from "../../../agent/jobs/monitor-watch.js";
import { processStartTicks } from "../../../agent/jobs/process.js";

describe("MonitorWatch (pidfds in jobworker-pidwatch)", () => {
  it("says gone when the watched process exits, and at once for one already gone or with another start time", async () => {
    const watch = new MonitorWatch();
    try {
      const child = spawn("sleep", ["1000"], { stdio: "ignore" });
      await new Promise((resolve) => child.once("spawn", resolve));
      const ticks = processStartTicks(child.pid!)!;
      const gone = watch.gone(child.pid!, ticks);
      expect(await watch.gone(child.pid!, `${Number(ticks) + 1}`)).to.equal("gone"); // same pid, another process
      expect(await watch.gone(2 ** 22 + 1, "1")).to.equal("gone"); // above pid_max: no such process
      child.kill("SIGKILL");
      expect(await gone).to.equal("gone");
    } finally {
      watch.close();
    }
  });

  it("without its helper binary: every watch is unwatchable, and nothing crashes", async () => {
    const watch = new MonitorWatch("/nonexistent/jobworker-pidwatch");
    try {
      expect(await watch.gone(process.pid, processStartTicks(process.pid)!)).to.equal("unwatchable");
      expect(await watch.gone(process.pid, processStartTicks(process.pid)!)).to.equal("unwatchable");
    } finally {
      watch.close();
    }
  });
});
