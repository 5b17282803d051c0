// The agent's metrics against a real JobManager running real processes: the
// hooks' counters, jobs by state, and per-job series from cgroup files (a
// fake cgroupfs seeded with kernel-format text: this host has no cgroup v2).
import { expect } from "chai";
import { join } from "node:path";
import { createAgentMetrics, type AgentMetrics } from "../../../agent/metrics/agent-metrics.js";
import { JobManager, type JobManagerOptions } from "../../../agent/jobs/manager.js";
import { NO_LIMITS } from "../../../agent/jobs/record.js";
import { tempDir } from "../../helpers/tmp.js";
import { eventually } from "../../helpers/wait.js";
import { find, parseExposition, valueOf, type Sample } from "../../helpers/metrics/exposition.js";
import { fakeCgroupPlacement } from "../../helpers/fake-cgroups.js";
import { lintFindings } from "../../helpers/metrics/promtool.js";

const MiB = 1024 * 1024;

describe("agent metrics (real JobManager, real processes)", () => {
  let dir: ReturnType<typeof tempDir>;
  let manager: JobManager | undefined;
  let metrics: AgentMetrics;

  async function open(cgroupMode: "v2" | "unavailable", overrides: Partial<JobManagerOptions> = {}): Promise<JobManager> {
    metrics = createAgentMetrics();
    manager = await JobManager.open({
      stateDir: join(dir.path, "state"),
      defaultGracePeriodMs: 10_000,
      outputCapBytes: 64 * MiB,
      maxConcurrentJobs: 200,
      retention: { maxFinishedJobs: 100, maxAgeMs: 3600_000 },
      placement: cgroupMode === "v2" ? fakeCgroupPlacement(join(dir.path, "cgroup")) : undefined,
      metrics: metrics.hooks,
      ...overrides,
    });
    metrics.attach(manager, { cgroupMode });
    return manager;
  }
  const scrape = async (): Promise<Sample[]> => parseExposition(await metrics.registry.metrics());
  const jobSeries = (samples: Sample[], id?: string) => samples.filter((s) => s.name.startsWith("jobworker_job_") && (!id || s.labels.job_id === id));
  async function running(id: string): Promise<void> {
    await eventually(`job ${id} to be RUNNING`, () => manager!.status(id).state === "RUNNING");
  }

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await manager?.shutdown(0);
    manager = undefined;
    dir.cleanup();
  });

  it("counts jobs by state, started and finished by reason, output captured; without cgroup v2 no per-job series", async () => {
    const jobs = await open("unavailable");
    await jobs.wait((await jobs.start("alice", "echo", ["hello"])).id);
    await jobs.wait((await jobs.start("alice", "sh", ["-c", "printf 12345; exit 3"])).id);
    await jobs.wait((await jobs.start("bob", "no-such-command-xyz", [])).id);
    const sleeper = await jobs.start("bob", "sleep", ["30"]);
    await running(sleeper.id);

    let samples = await scrape();
    const states = Object.fromEntries(find(samples, "jobworker_jobs").map((s) => [s.labels.state, s.value]));
    expect(states).to.deep.equal({ STARTED: 0, RUNNING: 1, EXITED: 2, STOPPED: 0, FAILED: 1 });
    expect(valueOf(samples, "jobworker_jobs_started_total")).to.equal(4);
    expect(valueOf(samples, "jobworker_jobs_finished_total", { reason: "Completed" })).to.equal(1);
    expect(valueOf(samples, "jobworker_jobs_finished_total", { reason: "Error" })).to.equal(1);
    expect(valueOf(samples, "jobworker_jobs_finished_total", { reason: "FailedToStart" })).to.equal(1);
    expect(valueOf(samples, "jobworker_jobs_finished_total", { reason: "Stopped" })).to.equal(0);
    const spooled = jobs.list().reduce((sum, r) => sum + r.outputBytes, 0);
    expect(spooled).to.equal(11); // "hello\n" + "12345"
    expect(valueOf(samples, "jobworker_output_captured_bytes_total")).to.equal(spooled);
    expect(valueOf(samples, "jobworker_cgroup_mode", { mode: "unavailable" })).to.equal(1);
    expect(jobSeries(samples)).to.deep.equal([]);

    await jobs.stop(sleeper.id, 0);
    samples = await scrape();
    expect(valueOf(samples, "jobworker_jobs", { state: "RUNNING" })).to.equal(0);
    expect(valueOf(samples, "jobworker_jobs", { state: "STOPPED" })).to.equal(1);
    expect(valueOf(samples, "jobworker_jobs_finished_total", { reason: "Stopped" })).to.equal(1);
  });

  it("a running job's cgroup files become cAdvisor-named series labelled job_id and owner, which promtool accepts", async () => {
    const jobs = await open("v2");
    const limits = { ...NO_LIMITS, cpuCores: 0.5, memoryBytes: 256 * MiB, pids: 100 };
    const { id } = await jobs.start("alice", "sleep", ["30"], { limits });
    const text = await metrics.registry.metrics();
    const samples = parseExposition(text);
    const job = { job_id: id, owner: "alice" };
    // The values of fake-cgroups.ts's kernel-format files.
    const expected: Record<string, number> = {
      jobworker_job_cpu_usage_seconds_total: 2.5,
      jobworker_job_cpu_user_seconds_total: 2,
      jobworker_job_cpu_system_seconds_total: 0.5,
      jobworker_job_cpu_cfs_periods_total: 40,
      jobworker_job_cpu_cfs_throttled_periods_total: 30,
      jobworker_job_cpu_cfs_throttled_seconds_total: 1.5,
      jobworker_job_memory_usage_bytes: 125829120,
      jobworker_job_memory_working_set_bytes: 125829120 - 16777216,
      jobworker_job_memory_max_usage_bytes: 157286400,
      jobworker_job_oom_events_total: 1,
      jobworker_job_processes: 3,
      jobworker_job_spec_cpu_quota: 50000,
      jobworker_job_spec_cpu_period: 100000,
      jobworker_job_spec_memory_limit_bytes: 256 * MiB,
      jobworker_job_spec_pids_max: 100,
    };
    for (const [name, value] of Object.entries(expected)) expect(valueOf(samples, name, job), name).to.equal(value);
    expect(valueOf(samples, "jobworker_job_fs_reads_bytes_total", { ...job, device: "254:0" })).to.equal(4096);
    expect(valueOf(samples, "jobworker_job_fs_reads_bytes_total", { ...job, device: "7:0" })).to.equal(8192);
    expect(valueOf(samples, "jobworker_job_fs_writes_bytes_total", { ...job, device: "254:0" })).to.equal(10485760);
    expect(valueOf(samples, "jobworker_job_fs_reads_total", { ...job, device: "7:0" })).to.equal(2);
    expect(valueOf(samples, "jobworker_job_fs_writes_total", { ...job, device: "254:0" })).to.equal(160);
    // Unset limits have no series (absent = unlimited).
    expect(find(samples, "jobworker_job_spec_io_write_bytes_per_second")).to.deep.equal([]);
    expect(valueOf(samples, "jobworker_cgroup_mode", { mode: "v2" })).to.equal(1);
    expect(lintFindings(text)).to.deep.equal([]);
  });

  it("a finished job keeps only its final usage, until garbage-collected: then its series are gone", async () => {
    const jobs = await open("v2", { retention: { maxFinishedJobs: 1, maxAgeMs: 3600_000 } });
    const first = await jobs.start("alice", "sleep", ["30"]);
    await jobs.stop(first.id, 0);
    const finalSeries = jobSeries(await scrape(), first.id).map((s) => `${s.name} ${s.value}`);
    expect(finalSeries).to.have.members([
      "jobworker_job_cpu_usage_seconds_total 2.5",
      "jobworker_job_cpu_user_seconds_total 2",
      "jobworker_job_cpu_system_seconds_total 0.5",
      "jobworker_job_memory_max_usage_bytes 157286400",
      "jobworker_job_oom_events_total 1",
    ]);

    const second = await jobs.start("bob", "sleep", ["30"]);
    await jobs.stop(second.id, 0); // its end runs the retention: only one finished job is kept
    await jobs.wait(second.id);
    const samples = await scrape();
    expect(jobs.list().map((r) => r.id)).to.deep.equal([second.id]);
    expect(jobSeries(samples, first.id)).to.deep.equal([]);
    expect(jobSeries(samples, second.id)).to.have.length(5);
    expect(valueOf(samples, "jobworker_jobs", { state: "STOPPED" })).to.equal(1);
  });

  it("a scrape with 100 running jobs carries every job's series (its time is printed; speed is bench/'s business)", async function () {
    const jobs = await open("v2");
    const ids = await Promise.all(Array.from({ length: 100 }, () => jobs.start("alice", "sleep", ["30"]).then((r) => r.id)));
    await metrics.registry.metrics(); // warm up
    const rounds = 10;
    const t0 = process.hrtime.bigint();
    let text = "";
    for (let i = 0; i < rounds; i++) text = await metrics.registry.metrics();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
    const samples = parseExposition(text);
    console.log(`      scrape with ${ids.length} running jobs: ${ms.toFixed(1)} ms, ${samples.length} samples, ${(text.length / 1024).toFixed(0)} KiB`);
    expect(new Set(jobSeries(samples).map((s) => s.labels.job_id)).size).to.equal(100);
  });
});
