// Declarative jobs on a cgroup v2 kernel: a spec whose memory limit OOM-kills
// its job is restarted with back-off under OnFailure, and jobctl get specs and
// the metrics show the restarts and the OOMKilled reason.
import { expect } from "chai";
import { parse } from "yaml";
import type { RunningAgent } from "../../agent/agent.js";
import { eventually } from "../helpers/wait.js";
import { startKernelAgent, type KernelAgent } from "./kernel-agent.js";

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
  let kernel: KernelAgent;
  let agent: RunningAgent;

  before(async () => {
    kernel = await startKernelAgent({ metricsListen: "127.0.0.1:0" });
    agent = kernel.agent;
  });
  after(async () => {
    await kernel?.close();
  });

  const jobctl = (args: string[], stdin?: string) => kernel.jobctl(args, { stdin, timeoutMs: 120_000 });

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
