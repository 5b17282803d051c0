// The metrics and health listener: plain HTTP and HTTPS, on loopback.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { get } from "node:https";
import { Counter, Registry } from "prom-client";
import { ensureDevPki } from "../../certs/layout.js";
import { parseListenAddress, startMetricsServer, type MetricsServer } from "../../agent/metrics/http-server.js";
import { tempDir } from "../helpers/tmp.js";

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

  it("parses listen addresses", () => {
    expect(parseListenAddress("localhost:9464")).to.deep.equal({ host: "localhost", port: 9464 });
    expect(parseListenAddress("[::1]:0")).to.deep.equal({ host: "::1", port: 0 });
    expect(parseListenAddress(":9464")).to.deep.equal({ host: undefined, port: 9464 });
    for (const bad of ["9464", "localhost", "host:http", "host:70000"]) expect(() => parseListenAddress(bad), bad).to.throw(/want host:port/);
  });
});
