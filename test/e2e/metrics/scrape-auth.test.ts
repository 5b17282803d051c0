// Authenticated scraping end to end: the real jobagent binary with
// metrics.bearerTokenFile or metrics.tls.clientCAFile, scraped by a real
// Prometheus configured the way README shows (authorization.credentials_file;
// tls_config cert_file/key_file), and refused to a client without credentials.
import { expect } from "chai";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, type TestAgent } from "../../helpers/agent.js";
import { sleep, tempDir } from "../../helpers/tmp.js";
import { httpsGet } from "../../helpers/metrics/https-get.js";
import { startPrometheus, type PrometheusServer } from "../../helpers/metrics/prometheus-server.js";
import { makeScrapePki, writeTokenFile, type ScrapePki } from "../../helpers/metrics/scrape-pki.js";

const OPEN_WARNING = /^metrics are served without authentication/;

describe("jobagent metrics with authentication, scraped by Prometheus", function () {
  const dir = tempDir("jobworker-scrape-auth-");
  let pki: ScrapePki;
  let agent: TestAgent | undefined;
  let prometheus: PrometheusServer | undefined;
  before(async () => {
    pki = await makeScrapePki(dir.path);
  });
  afterEach(async () => {
    await prometheus?.stop();
    prometheus = undefined;
    await agent?.stop();
    agent?.cleanup();
    agent = undefined;
  });
  after(() => dir.cleanup());

  /** The agent with this metrics section in its configuration file (listening on 127.0.0.1:0, from the test helper's flag). */
  async function agentWith(metrics: Record<string, unknown>): Promise<TestAgent> {
    const config = join(dir.path, "agent.yaml");
    writeFileSync(config, JSON.stringify({ apiVersion: "jobworker/v1", kind: "AgentConfig", metrics }));
    return startTestAgent({ args: ["--config", config] });
  }

  /** Prometheus' own verdict on the target, then a jobworker_ series it stored. */
  async function scrapedByPrometheus(): Promise<void> {
    const up = await prometheus!.waitFor('up{job="jobagent"}', (r) => r.length === 1 && r[0].value === 1, 30_000);
    expect(up[0].metric.instance).to.equal(`127.0.0.1:${agent!.metricsPort}`);
    const series = await prometheus!.waitFor('count({__name__=~"jobworker_.+", job="jobagent"})', (r) => r.length === 1 && r[0].value > 0, 30_000);
    console.log(`      Prometheus: up 1, ${series[0].value} jobworker_ series`);
  }

  it("the default warns at start that anyone who can connect may read job ids and owners", async () => {
    agent = await startTestAgent();
    expect(agent.logs.some((l) => OPEN_WARNING.test(String(l.msg)) && l.level === 40)).to.equal(true);
    expect(agent.logs.find((l) => l.msg === "metrics listening")).to.include({ scrapers: "anyone who can connect" });
  });

  it("bearer token: Prometheus with credentials_file scrapes; no token or a wrong one is 401; probes stay open", async () => {
    const tokenFile = writeTokenFile(join(dir.path, "metrics.token"), "prom-scrape-0123456789");
    agent = await agentWith({ bearerTokenFile: tokenFile });
    expect(agent.logs.some((l) => OPEN_WARNING.test(String(l.msg)))).to.equal(false);
    const url = `http://127.0.0.1:${agent.metricsPort}`;
    prometheus = await startPrometheus([`127.0.0.1:${agent.metricsPort}`], { scrape: { authorization: { credentials_file: tokenFile } } });
    await scrapedByPrometheus();
    const none = await fetch(`${url}/metrics`);
    expect([none.status, none.headers.get("www-authenticate")]).to.deep.equal([401, 'Bearer realm="jobagent metrics"']);
    const wrong = await fetch(`${url}/metrics`, { headers: { authorization: "Bearer prom-scrape-0123456780" } });
    expect(wrong.status).to.equal(401);
    expect(await wrong.text()).to.not.include("jobworker_");
    expect((await fetch(`${url}/healthz`)).status).to.equal(200);
    expect((await fetch(`${url}/readyz`)).status).to.equal(200);
  });

  it("bearer token: SIGHUP re-reads the file (the old token is refused, the new one accepted); a world-readable file is refused", async () => {
    const tokenFile = writeTokenFile(join(dir.path, "rotating.token"), "before-rotation");
    agent = await agentWith({ bearerTokenFile: tokenFile });
    const scrape = (token: string) => fetch(`http://127.0.0.1:${agent!.metricsPort}/metrics`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await scrape("before-rotation")).to.equal(200);
    writeTokenFile(tokenFile, "after-rotation");
    process.kill(agent.pid, "SIGHUP");
    const until = Date.now() + 20_000;
    while (Date.now() < until && !agent.logs.some((l) => l.msg === "configuration reloaded")) await sleep(50);
    expect(await scrape("after-rotation")).to.equal(200);
    expect(await scrape("before-rotation")).to.equal(401);
    expect(agent.logs.find((l) => l.msg === "configuration reloaded")).to.deep.include({ needRestart: [] });
    await agent.stop();
    agent.cleanup();
    chmodSync(tokenFile, 0o644);
    agent = undefined;
    const refused = await agentWith({ bearerTokenFile: tokenFile }).then((started) => void (agent = started), (e: Error) => e); // afterEach stops one that started
    expect(refused?.message).to.match(/agent exited with \d+ before listening/);
  });

  it("client certificates: Prometheus with tls_config scrapes over HTTPS; a client without a certificate or not allowed is 403; probes stay open", async () => {
    agent = await agentWith({ tls: { ...pki.server, clientCAFile: pki.caFile, allowedClientNames: ["prometheus"] } });
    prometheus = await startPrometheus([`127.0.0.1:${agent.metricsPort}`], {
      scrape: { scheme: "https", tls_config: { ca_file: pki.caFile, cert_file: pki.clients.prometheus.certFile, key_file: pki.clients.prometheus.keyFile, server_name: "localhost" } },
    });
    await scrapedByPrometheus();
    const get = (path: string, client?: keyof ScrapePki["clients"]) => httpsGet(agent!.metricsPort!, path, { caFile: pki.caFile, client: client && pki.clients[client] });
    expect(await get("/metrics")).to.deep.equal({ status: 403, body: "a client certificate from the metrics client CA is required (none presented)\n" });
    expect((await get("/metrics", "intruder")).status).to.equal(403);
    expect((await get("/metrics", "alice")).status).to.equal(403);
    expect((await get("/metrics", "prometheus")).body).to.include("jobworker_jobs");
    expect((await get("/healthz")).status).to.equal(200);
    expect((await get("/readyz")).status).to.equal(200);
  });
});
