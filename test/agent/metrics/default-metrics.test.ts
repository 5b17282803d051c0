// prom-client's default metrics as the agent exports them: the three *_total
// gauges promtool rejects are gone, and their *_all replacements carry the
// same live values (checked against prom-client's own per-type families,
// which the same scrape collects in the same tick).
import { expect } from "chai";
import { createServer, type Server } from "node:net";
import { createAgentMetrics } from "../../../agent/metrics/agent-metrics.js";
import { RENAMED_DEFAULT_METRICS } from "../../../agent/metrics/default-metrics.js";
import { find, parseExposition, valueOf, type Sample } from "../../helpers/metrics/exposition.js";
import { lintFindings } from "../../helpers/metrics/promtool.js";

const sum = (samples: Sample[], name: string) => find(samples, name).reduce((total, s) => total + s.value, 0);

function listen(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe("default metrics (prom-client's, promtool-clean)", () => {
  it("exports no *_total gauge: the three are renamed *_all, typed gauge, and promtool finds nothing", async () => {
    const text = await createAgentMetrics().registry.metrics();
    const names = new Set(parseExposition(text).map((s) => s.name));
    for (const [from, to] of Object.entries(RENAMED_DEFAULT_METRICS)) {
      expect(names.has(from), from).to.equal(false);
      expect(names.has(to), to).to.equal(true);
      expect(text).to.include(`# TYPE ${to} gauge\n`);
    }
    expect(names.has("process_cpu_seconds_total"), "the other defaults stay").to.equal(true);
    expect(lintFindings(text)).to.deep.equal([]);
  });

  it("the *_all values are live totals: they equal the per-type sums while 3 more servers listen and after they close", async () => {
    const { registry } = createAgentMetrics();
    const scrape = async () => parseExposition(await registry.metrics());
    const expectTotalsMatchTypes = (samples: Sample[]) => {
      expect(valueOf(samples, "nodejs_active_handles_all")).to.equal(sum(samples, "nodejs_active_handles"));
      expect(valueOf(samples, "nodejs_active_resources_all")).to.equal(sum(samples, "nodejs_active_resources"));
      expect(valueOf(samples, "nodejs_active_requests_all")).to.equal(sum(samples, "nodejs_active_requests"));
    };

    const servers = await Promise.all([listen(), listen(), listen()]);
    let open: Sample[];
    try {
      open = await scrape();
      expectTotalsMatchTypes(open);
      expect(valueOf(open, "nodejs_active_handles", { type: "Server" })).to.be.at.least(3);
      expect(valueOf(open, "nodejs_active_resources", { type: "TCPServerWrap" })).to.be.at.least(3);
    } finally {
      await Promise.all(servers.map(close));
    }
    const closed = await scrape();
    expectTotalsMatchTypes(closed);
    // Else the second equality would not tell a live value from one cached at the first scrape.
    expect(sum(closed, "nodejs_active_resources"), "closing 3 servers changed the per-type sums").to.not.equal(sum(open, "nodejs_active_resources"));
  });
});
