// Declarative jobs on a cgroup v2 kernel: a spec whose memory limit OOM-kills
// its job is restarted with back-off under OnFailure, and jobctl get specs and
// the metrics show the restarts and the OOMKilled reason.
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { parse } from "yaml";
import { startAgent, type RunningAgent } from "../../agent/agent.js";
import { defaultSettings } from "../../agent/config/settings.js";
import { tempDir } from "../helpers/tmp.js";
import { eventually } from "../helpers/wait.js";

const JOBCTL = fileURLToPath(new URL("../../ctl/main.js", import.meta.url));

const OOM_SPEC = `apiVersion: jobworker/v1
kind: Job
metadata: {name: hungry}
spec:
  command: tail
  args: [/dev/zero]
  limits: {memory: 32Mi}
  restartPolicy: OnFailure
  backoff: {initial: 500ms, max: 4s}
`;

/** The delegated cgroup: ours, or its parent once an earlier test moved us into <root>/agent. */
function delegatedRoot(): string {
  return readFileSync("/proc/self/cgroup", "utf8").trim().replace(/^0::\//, "").replace(/\/agent$/, "");
}

interface JobJson {
  id: string;
  specName?: string;
  specRun?: number;
  reason: string;
  startTime: string;
  endTime?: string;
}

describe("declarative jobs on a cgroup v2 kernel", function () {
  this.timeout(300_000);
  let state: ReturnType<typeof tempDir>;
  let agent: RunningAgent;
  let config: string;

  before(async () => {
    state = tempDir();
    const settings = defaultSettings();
    settings.listen = "127.0.0.1:0";
    settings.stateDir = state.path;
    settings.stopJobsOnShutdown = true;
    settings.jobctlConfigPath = config = join(state.path, "jobctl.yaml");
    settings.metrics.listen = "127.0.0.1:0";
    settings.cgroup.root = delegatedRoot();
    agent = await startAgent(settings, pino({ level: "error" }));
  });
  after(async () => {
    await agent?.close();
    state?.cleanup();
  });

  const jobctl = (args: string[], stdin?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [JOBCTL, "--config", config, ...args], { timeout: 120_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end(stdin ?? "");
    });

  it("restarts an OOM-killed run with back-off under OnFailure; get specs and the metrics show the restarts and OOMKilled", async () => {
    const applied = await jobctl(["apply", "-f", "-"], OOM_SPEC);
    expect(applied.code, applied.stderr).to.equal(0);
    expect(applied.stdout).to.equal("spec/hungry created\n");
    await eventually("two restarts", () => agent.jobs.list().filter((job) => job.spec?.name === "hungry" && job.reason === "OOMKilled").length >= 3, 240_000);

    const wide = await jobctl(["get", "specs", "-o", "wide"]);
    expect(wide.code, wide.stderr).to.equal(0);
    const row = wide.stdout.split("\n").find((line) => line.startsWith("hungry "));
    expect(row, wide.stdout).to.match(/^hungry +[01]\/1 +([2-9]|\d\d+) +(CrashLoopBackOff|Running|Starting) +\S+ +OnFailure +\d+ +\S+ +OOMKilled \(signal SIGKILL\)/);

    const jobs = (parse((await jobctl(["get", "jobs", "-o", "yaml"])).stdout) as { items: JobJson[] }).items
      .filter((job) => job.specName === "hungry")
      .sort((a, b) => a.specRun! - b.specRun!);
    const ended = jobs.filter((job) => job.endTime);
    expect(ended.slice(0, 3).map((job) => job.reason)).to.deep.equal(["OOMKilled", "OOMKilled", "OOMKilled"]);
    // The back-off is a floor: 500 ms before run 2, 1 s before run 3.
    const gap = (i: number) => Date.parse(jobs[i + 1]!.startTime) - Date.parse(jobs[i]!.endTime!);
    expect(gap(0), "before run 2").to.be.at.least(480);
    expect(gap(1), "before run 3").to.be.at.least(980);

    const metrics = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
    expect(Number(/^jobworker_spec_restarts_total\{spec="hungry"\} (\d+)$/m.exec(metrics)?.[1]), "spec restarts").to.be.at.least(2);
    expect(Number(/^jobworker_jobs_finished_total\{reason="OOMKilled"\} (\d+)$/m.exec(metrics)?.[1]), "OOM-killed jobs").to.be.at.least(3);
    // Per-job series carry the spec (finished runs keep their final usage).
    expect(metrics).to.match(new RegExp(`^jobworker_job_oom_events_total\\{job_id="${jobs[0]!.id}",owner="admin",spec="hungry"\\} [1-9]`, "m"));

    const deleted = await jobctl(["delete", "spec", "hungry"]);
    expect(deleted.code, deleted.stderr).to.equal(0);
  });
});
