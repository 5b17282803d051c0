// The metrics and health listener: plain HTTP and HTTPS, on loopback, open
// or guarded by a bearer token or client certificates.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { get } from "node:https";
import { Counter, Registry } from "prom-client";
import { ensureDevPki } from "../../../certs/layout.js";
import { join } from "node:path";
import { readBearerToken } from "../../../agent/metrics/bearer-token.js";
import { parseListenAddress, startMetricsServer, type MetricsServer } from "../../../agent/metrics/http-server.js";
import { ScrapeGuard } from "../../../agent/metrics/scrape-auth.js";
import { tempDir } from "../../helpers/tmp.js";
import { httpsGet } from "../../helpers/metrics/https-get.js";
import { makeScrapePki, writeTokenFile } from "../../helpers/metrics/scrape-pki.js";

describe("metrics HTTP server", () => {
  let server: MetricsServer | undefined;
  const registry = new Registry();
  new Counter({ name: "test_things_total", help: "Things.", registers: [registry] }).inc(3);
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("serves /metrics, /healthz, /readyz (503 until ready); 404 elsewhere, 405 for other methods", async () => {
    let ready = false;
    server = await startMetricsServer({ listen: "127.0.0.1:0", registry, isReady: () => ready });
    const base = `http://127.0.0.1:${server.port}`;
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).to.equal(200);
    expect(metrics.headers.get("content-type")).to.equal("text/plain; version=0.0.4; charset=utf-8");
    expect(await metrics.text()).to.include("\ntest_things_total 3\n");
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.text()]).to.deep.equal([200, "ok\n"]);
    expect((await fetch(`${base}/readyz`)).status).to.equal(503);
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).to.equal(200);
    expect((await fetch(`${base}/readyz?verbose=1`)).status).to.equal(200);
    expect((await fetch(`${base}/`)).status).to.equal(404);
    expect((await fetch(`${base}/metrics/x`)).status).to.equal(404);
    const post = await fetch(`${base}/metrics`, { method: "POST" });
    expect([post.status, post.headers.get("allow")]).to.deep.equal([405, "GET, HEAD"]);
  });

  it("close() returns while a scraper keeps its connection alive", async () => {
    server = await startMetricsServer({ listen: "127.0.0.1:0", registry, isReady: () => true });
    await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text(); // fetch keeps the connection open
    const t0 = Date.now();
    await server.close();
    server = undefined;
    expect(Date.now() - t0).to.be.below(4000); // well under the 5 s a kept-alive connection would hold it
  });

  it("serves HTTPS when given a certificate and key", async () => {
    const dir = tempDir();
    try {
      const pki = await ensureDevPki({ dir: dir.path, server: "localhost:0" });
      server = await startMetricsServer({
        listen: "127.0.0.1:0", registry, isReady: () => true, tls: { cert: readFileSync(pki.certPath), key: readFileSync(pki.keyPath) },
      });
      const body = await new Promise<string>((resolve, reject) => {
        const req = get({ host: "127.0.0.1", servername: "localhost", port: server!.port, path: "/metrics", ca: readFileSync(pki.caPath), agent: false }, (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => (text += chunk.toString()));
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
      });
      expect(body).to.include("\ntest_things_total 3\n");
    } finally {
      dir.cleanup();
    }
  });

  it("with a bearer token: /metrics is 401 (WWW-Authenticate: Bearer) without it or with a wrong one; /healthz and /readyz need none", async () => {
    const dir = tempDir();
    try {
      const guard = new ScrapeGuard(await readBearerToken(writeTokenFile(join(dir.path, "token"), "s3cret-token")), undefined);
      server = await startMetricsServer({ listen: "127.0.0.1:0", registry, isReady: () => true, guard });
      const url = `http://127.0.0.1:${server.port}`;
      const scrape = (authorization?: string) => fetch(`${url}/metrics`, { headers: authorization === undefined ? {} : { authorization } });
      const none = await scrape();
      expect([none.status, none.headers.get("www-authenticate")]).to.deep.equal([401, 'Bearer realm="jobagent metrics"']);
      expect(await none.text()).to.not.include("test_things_total");
      for (const wrong of ["Bearer s3cret-tokem", "Bearer s3cret-token-and-more", "Bearer s3cret", "Basic czNjcmV0LXRva2Vu", "s3cret-token", "Bearer "]) {
        const answer = await scrape(wrong);
        expect([answer.status, answer.headers.get("www-authenticate")], wrong).to.deep.equal([401, 'Bearer realm="jobagent metrics", error="invalid_token"']);
      }
      for (const right of ["Bearer s3cret-token", "bearer s3cret-token"]) {
        const answer = await scrape(right);
        expect(answer.status, right).to.equal(200);
        expect(await answer.text()).to.include("\ntest_things_total 3\n");
      }
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
      expect((await fetch(`${url}/readyz`)).status).to.equal(200);
      guard.setToken(await readBearerToken(writeTokenFile(join(dir.path, "token"), "rotated"))); // what SIGHUP does
      expect((await scrape("Bearer s3cret-token")).status).to.equal(401);
      expect((await scrape("Bearer rotated")).status).to.equal(200);
    } finally {
      dir.cleanup();
    }
  });

  it("with a client CA: /metrics needs a certificate it signed (403 without one or with another CA's), of an allowed CN; probes need none; TLS 1.3 only", async () => {
    const dir = tempDir();
    try {
      const pki = await makeScrapePki(dir.path);
      const tls = { cert: readFileSync(pki.server.certFile), key: readFileSync(pki.server.keyFile), clientCa: readFileSync(pki.caFile) };
      const guard = new ScrapeGuard(undefined, { allowedNames: ["prometheus"] });
      server = await startMetricsServer({ listen: "127.0.0.1:0", registry, isReady: () => true, tls, guard });
      const get = (path: string, client?: keyof typeof pki.clients) => httpsGet(server!.port, path, { caFile: pki.caFile, client: client && pki.clients[client] });
      const scraped = await get("/metrics", "prometheus");
      expect(scraped.status).to.equal(200);
      expect(scraped.body).to.include("\ntest_things_total 3\n");
      const anonymous = await get("/metrics");
      expect([anonymous.status, anonymous.body]).to.deep.equal([403, "a client certificate from the metrics client CA is required (none presented)\n"]);
      const intruder = await get("/metrics", "intruder"); // the allowed CN, from another CA
      expect(intruder.status).to.equal(403);
      expect(intruder.body).to.match(/^a client certificate from the metrics client CA is required \((?!none)/);
      expect(await get("/metrics", "alice")).to.deep.equal({ status: 403, body: 'client certificate "alice" may not scrape metrics\n' });
      expect((await get("/healthz")).status).to.equal(200);
      expect((await get("/readyz")).status).to.equal(200);
      const old = await httpsGet(server.port, "/healthz", { caFile: pki.caFile, maxVersion: "TLSv1.2" }).then(() => undefined, (err: Error) => err);
      expect(old, "a TLS 1.2 handshake should fail").to.be.instanceOf(Error);
    } finally {
      dir.cleanup();
    }
  });

  it("parses listen addresses", () => {
    expect(parseListenAddress("localhost:9464")).to.deep.equal({ host: "localhost", port: 9464 });
    expect(parseListenAddress("[::1]:0")).to.deep.equal({ host: "::1", port: 0 });
    expect(parseListenAddress(":9464")).to.deep.equal({ host: undefined, port: 9464 });
    for (const bad of ["9464", "localhost", "host:http", "host:70000"]) expect(() => parseListenAddress(bad), bad).to.throw(/want host:port/);
  });
});
