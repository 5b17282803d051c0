// jobctl against a real agent on a cgroup v2 kernel: `run` exits with the
// distinct OOM code, and `top` shows live usage from the job's cgroup.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { startAgent, type RunningAgent } from "../../agent/agent.js";
import { defaultSettings } from "../../agent/config/settings.js";
import { RunExit } from "../../ctl/exit-codes.js";
import { tempDir } from "../helpers/tmp.js";

const JOBCTL = fileURLToPath(new URL("../../ctl/main.js", import.meta.url));

/** The delegated cgroup: ours, or its parent once an earlier test moved us into <root>/agent. */
function delegatedRoot(): string {
  const own = readFileSync("/proc/self/cgroup", "utf8").trim().replace(/^0::\//, "");
  return own.replace(/\/agent$/, "");
}

describe("jobctl on a cgroup v2 kernel", function () {
  let state: ReturnType<typeof tempDir>;
  let agent: RunningAgent;
  let config: string;

  before(async () => {
    state = tempDir();
    const settings = defaultSettings();
    settings.listen = "127.0.0.1:0";
    settings.stateDir = state.path;
    settings.stopJobsOnShutdown = true; // close() then stops the jobs this test leaves running
    settings.jobctlConfigPath = config = join(state.path, "jobctl.yaml");
    settings.metrics.listen = "";
    settings.cgroup.root = delegatedRoot();
    agent = await startAgent(settings, pino({ level: "error" }));
  });
  after(async () => {
    await agent?.close();
    state?.cleanup();
  });

  const jobctl = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [JOBCTL, "--config", config, ...args], { timeout: 90_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );

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
