// The real jobagent binary's metrics listener, checked by Prometheus' own
// tools: promtool lints its /metrics, and a real Prometheus server on loopback
// scrapes it and answers PromQL about the RPCs this test made.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { connect } from "node:tls";
import { call, filesFor, readOutput, workerClient } from "../../helpers/client.js";
import { eventually } from "../../helpers/wait.js";
import { startTestAgent, type TestAgent } from "../../helpers/agent.js";
import type { WorkerServiceClient } from "../../../proto/generated/workerservice/WorkerService.js";
import { parseExposition, valueOf } from "../../helpers/metrics/exposition.js";
import { startPrometheus, type PrometheusServer } from "../../helpers/metrics/prometheus-server.js";
import { lintFindings, promtoolCheckMetrics } from "../../helpers/metrics/promtool.js";

describe("jobagent metrics, seen by Prometheus", function () {
  let agent: TestAgent;
  let admin: WorkerServiceClient;
  let prometheus: PrometheusServer | undefined;
  let metricsUrl: string;

  before(async () => {
    agent = await startTestAgent();
    expect(agent.metricsPort, "the agent logged no metrics port").to.be.a("number");
    metricsUrl = `http://127.0.0.1:${agent.metricsPort}`;
    admin = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
  });
  after(async () => {
    admin?.close();
    await prometheus?.stop();
    await agent?.stop();
    agent?.cleanup();
  });

  /** Three Starts, a QueryStatus, an output stream and a NOT_FOUND. */
  async function someRpcs(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const { jobID } = await call<object, { jobID: Buffer }>(admin, "Start", { commandName: "echo", arguments: [`hello ${i}`] });
      expect((await readOutput(admin, { jobID })).toString()).to.equal(`hello ${i}\n`);
      await call(admin, "QueryStatus", { jobID });
    }
    await call(admin, "QueryStatus", { jobID: Buffer.from(randomUUID()) }).then(
      () => expect.fail("want NOT_FOUND"),
      (err: { code: number }) => expect(err.code).to.equal(5),
    );
  }

  it("/healthz and /readyz answer 200 on a serving agent", async () => {
    expect((await fetch(`${metricsUrl}/healthz`)).status).to.equal(200);
    expect((await fetch(`${metricsUrl}/readyz`)).status).to.equal(200);
  });

  it("counts the RPCs and streamed output; promtool check metrics passes on the real /metrics", async () => {
    await someRpcs();
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    const samples = parseExposition(text);
    expect(valueOf(samples, "jobworker_rpc_requests_total", { method: "Start", code: "OK" })).to.equal(3);
    expect(valueOf(samples, "jobworker_rpc_requests_total", { method: "QueryStatus", code: "NOT_FOUND" })).to.equal(1);
    expect(valueOf(samples, "jobworker_rpc_duration_seconds_count", { method: "GetOutput" })).to.equal(3);
    expect(valueOf(samples, "jobworker_output_streamed_bytes_total")).to.equal(3 * "hello 0\n".length);
    expect(valueOf(samples, "jobworker_output_streams")).to.equal(0);
    expect(valueOf(samples, "jobworker_jobs_started_total")).to.equal(3);
    expect(valueOf(samples, "process_cpu_seconds_total")).to.be.greaterThan(0); // prom-client's default metrics
    expect(lintFindings(text)).to.deep.equal([]);
  });

  it("counts refused TLS handshakes by reason (a TLS 1.2 client)", async () => {
    const { ca } = filesFor(agent.pkiDir);
    const refused = await new Promise<Error | undefined>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: agent.port, servername: "localhost", ALPNProtocols: ["h2"], ca, maxVersion: "TLSv1.2" });
      socket.once("secureConnect", () => (socket.destroy(), resolve(undefined)));
      socket.once("error", resolve);
    });
    expect(refused, "the TLS 1.2 handshake should fail").to.be.instanceOf(Error);
    const failures = async () => parseExposition(await (await fetch(`${metricsUrl}/metrics`)).text()).filter((s) => s.name === "jobworker_tls_handshake_failures_total");
    const counted = await eventually("the failed handshake to be counted", async () => { // the server sees it a moment later
      const samples = await failures();
      return samples.length > 0 && samples;
    });
    console.log(`      ${counted.map((s) => `${s.labels.reason}=${s.value}`).join(" ")}`);
    expect(counted.reduce((sum, s) => sum + s.value, 0)).to.equal(1);
  });

  it("a real Prometheus scrapes the agent and answers PromQL about its RPCs", async () => {
    prometheus = await startPrometheus([`127.0.0.1:${agent.metricsPort}`]);
    await someRpcs(); // six Starts in all by now
    const t0 = Date.now();
    const starts = await prometheus.waitFor('jobworker_rpc_requests_total{method="Start",code="OK"}', (r) => r.length === 1 && r[0].value === 6, 20_000);
    console.log(`      Prometheus answered after ${Date.now() - t0} ms: ${JSON.stringify(starts[0].metric)} ${starts[0].value}`);
    expect(starts[0].metric).to.include({ job: "jobagent", instance: `127.0.0.1:${agent.metricsPort}` });
    const up = await prometheus.query('up{job="jobagent"}');
    expect(up.map((s) => s.value)).to.deep.equal([1]);
    const notFound = await prometheus.query('sum(jobworker_rpc_requests_total{code="NOT_FOUND"})');
    expect(notFound[0].value).to.equal(2);
    const cgroup = await prometheus.query("jobworker_cgroup_mode");
    expect(cgroup).to.have.length(1);
  });

  it("promtool check metrics finds nothing on /metrics while a job runs and a stream follows it", async () => {
    const { jobID } = await call<object, { jobID: Buffer }>(admin, "Start", { commandName: "sh", arguments: ["-c", "echo started; exec sleep 60"] });
    const stream = admin.GetOutput({ jobID });
    stream.on("data", () => undefined).on("error", () => undefined); // cancelled below: CANCELLED is expected
    try {
      const scrapeWhile = async () => parseExposition(await (await fetch(`${metricsUrl}/metrics`)).text());
      await eventually("the job RUNNING and its stream open", async () => {
        const samples = await scrapeWhile();
        return valueOf(samples, "jobworker_jobs", { state: "RUNNING" }) === 1 && valueOf(samples, "jobworker_output_streams") === 1;
      });
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      expect(promtoolCheckMetrics(text)).to.deep.equal({ status: 0, findings: [] });
    } finally {
      stream.cancel();
      await call(admin, "Stop", { jobID, gracePeriodMs: 0 }).catch(() => undefined);
    }
  });
});
