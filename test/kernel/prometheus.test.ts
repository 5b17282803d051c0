// Per-job metrics from a real kernel's cgroup files, end to end (run inside the
// test VM by `npm run test:vm`): the agent in-process with cgroup v2, a
// CPU-bound job, and a real Prometheus server scraping the agent's metrics
// listener and answering PromQL about that job.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { startAgent, type RunningAgent } from "../../agent/agent.js";
import { defaultSettings } from "../../agent/config/settings.js";
import { tempDir } from "../helpers/tmp.js";
import { startPrometheus, type PrometheusServer } from "../helpers/metrics/prometheus-server.js";
import { lintFindings } from "../helpers/metrics/promtool.js";

describe("per-job metrics on a real kernel, scraped by Prometheus", function () {
  let state: ReturnType<typeof tempDir>;
  let agent: RunningAgent | undefined;
  let prometheus: PrometheusServer | undefined;

  before(async () => {
    state = tempDir();
    const settings = defaultSettings();
    settings.listen = "127.0.0.1:0";
    settings.metrics.listen = "127.0.0.1:0";
    settings.stateDir = state.path;
    settings.stopJobsOnShutdown = true; // close() then stops the jobs this test leaves running
    settings.jobctlConfigPath = join(state.path, "jobctl.yaml");
    // The cgroup this process was given; an earlier test file in this process may have moved us into its agent/ leaf.
    const own = readFileSync("/proc/self/cgroup", "utf8").trim().split("\n").find((l) => l.startsWith("0::"))!.slice(3);
    settings.cgroup.root = own.replace(/\/agent$/, "");
    agent = await startAgent(settings, pino({ level: "error" }));
  });
  after(async () => {
    await prometheus?.stop();
    await agent?.close();
    state?.cleanup();
  });

  it("a busy loop's CPU rate and memory, queried with PromQL", async () => {
    expect(agent!.metricsPort, "metrics listener").to.be.a("number");
    const target = `127.0.0.1:${agent!.metricsPort}`;
    const { id } = await agent!.jobs.start("alice", "sh", ["-c", "while :; do :; done"]);
    const t0 = Date.now();
    // Under TCG, beside a busy loop, on a loaded host, a scrape can take over a second: 3 s to scrape, generous waits.
    prometheus = await startPrometheus([target], { readyTimeoutMs: 60_000, scrapeIntervalSeconds: 3 });
    const ready = Date.now();

    const memory = await prometheus.waitFor(`jobworker_job_memory_usage_bytes{job_id="${id}"}`, (r) => r.length === 1 && r[0].value > 0, 60_000);
    expect(memory[0].metric).to.include({ owner: "alice" });
    // rate() divides by the whole range: wait until the 20 s window is full of (3 s) samples, else it reads low.
    const usage = `jobworker_job_cpu_usage_seconds_total{job_id="${id}"}`;
    await prometheus.waitFor(`count_over_time(${usage}[20s])`, (r) => r.length === 1 && r[0].value >= 6, 90_000);
    const rate = await prometheus.query(`rate(${usage}[20s])`);
    const scrape = await prometheus.query(`scrape_duration_seconds{instance="${target}"}`);
    console.log(
      `      Prometheus ready in ${ready - t0} ms; after ${Date.now() - ready} ms: memory ${memory[0].value} bytes, ` +
        `CPU rate ${rate[0]?.value.toFixed(3)} CPU-s/s, scrape ${(scrape[0]?.value * 1000).toFixed(0)} ms`,
    );
    expect(rate).to.have.length(1);
    expect(rate[0].value).to.be.above(0.5); // unlimited busy loop: ~1 (0.99-1.00 measured in the VM)
    const mode = await prometheus.query("jobworker_cgroup_mode");
    expect(mode.map((s) => s.metric.mode)).to.deep.equal(["v2"]);

    // promtool on the real output, per-job series included (the host has none).
    const text = await (await fetch(`http://${target}/metrics`)).text();
    expect(text).to.include(`jobworker_job_processes{job_id="${id}",owner="alice",spec=""}`); // spec: empty for a job from Start
    expect(lintFindings(text)).to.deep.equal([]);
  });
});
