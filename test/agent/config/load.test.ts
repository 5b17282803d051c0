// The configuration file: schema validation with exact error paths, and the
// mapping onto settings. (The jobagent CLI's --validate / --print-config and
// precedence of flags > environment > file > defaults: test/agent/main.test.ts.)
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { applyDocument, toDocument } from "../../../agent/config/document.js";
import { ConfigFileError, loadConfigFile, parseConfig } from "../../../agent/config/load.js";
import { defaultSettings } from "../../../agent/config/settings.js";
import { isJobManifest, parseManifests } from "../../../agent/specs/manifest.js";

const CONFIG_DIR = fileURLToPath(new URL("../../../../config/", import.meta.url));

function problems(yaml: string): string[] {
  try {
    parseConfig("test.yaml", yaml);
  } catch (err) {
    if (err instanceof ConfigFileError) return err.problems;
    throw err;
  }
  return [];
}

const HEADER = "apiVersion: jobworker/v1\nkind: AgentConfig\n";

describe("agent configuration file", () => {
  it("every example in config/ validates: AgentConfigs as such, job specs (kind: Job) as job specs", async () => {
    const examples = readdirSync(CONFIG_DIR).filter((f) => f.endsWith(".yaml"));
    const jobs = [];
    for (const file of examples) {
      const path = join(CONFIG_DIR, file);
      const text = readFileSync(path, "utf8");
      if (isJobManifest(text)) jobs.push(parseManifests(path, text));
      else await loadConfigFile(path);
    }
    expect(jobs.length, "job spec examples").to.be.greaterThan(0);
    expect(examples.length - jobs.length, "AgentConfig examples").to.be.greaterThan(0);
  });

  it("the production example maps onto settings", async () => {
    const s = applyDocument(defaultSettings(), await loadConfigFile(join(CONFIG_DIR, "agent.example.yaml")));
    expect(s.listen).to.equal("0.0.0.0:5000");
    expect(s.jobs.maxLimits).to.deep.include({ cpuCores: 4, memoryBytes: 8 * 2 ** 30, ioWriteBps: 200 * 2 ** 20, pids: 4096 });
    expect(s.jobs.retention.maxAgeMs).to.equal(168 * 3600_000);
    expect(s.jobs.maxConcurrentJobsPerOwner).to.equal(50);
    expect(s.jobs.retention.maxFinishedJobsPerOwner).to.equal(500);
    expect(s.roles.ci).to.deep.equal({ operations: ["start", "stop", "status", "output"], scope: "own" });
    expect(s.tls).to.deep.equal({ caFile: "/etc/jobworker/pki/ca.crt", certFile: "/etc/jobworker/pki/server.crt", keyFile: "/etc/jobworker/pki/server.key" });
    expect(s.metrics).to.deep.equal({ listen: "127.0.0.1:9464", bearerTokenFile: "/etc/jobworker/metrics.token" }); // scraping needs the token
  });

  it("maps the login throttle and the hashing queue, keeping defaults for what is left out", () => {
    const doc = parseConfig("t.yaml", HEADER + "auth:\n  loginThrottle:\n    perUser: {burst: 10}\n    perClient: {refillEvery: 1m}\n  hashing: {maxQueued: 4}\n");
    const { loginThrottle, hashing } = applyDocument(defaultSettings(), doc).auth;
    expect(loginThrottle).to.deep.equal({ perUser: { burst: 10, refillEveryMs: 60_000 }, perClient: { burst: 20, refillEveryMs: 60_000 }, maxTracked: 10_000 });
    expect(hashing).to.deep.equal({ maxConcurrent: 1, maxQueued: 4, maxPerClient: 4 });
    const share = applyDocument(defaultSettings(), parseConfig("t.yaml", HEADER + "auth:\n  hashing: {maxPerClient: 2}\n")).auth.hashing;
    expect(share).to.deep.equal({ maxConcurrent: 1, maxQueued: 32, maxPerClient: 2 });
  });

  it("a minimal file is valid and changes nothing", () => {
    const doc = parseConfig("min.yaml", HEADER);
    expect(applyDocument(defaultSettings(), doc)).to.deep.equal(defaultSettings());
  });

  // Each broken config, and the exact path (and line) its error names.
  const broken: [string, string, RegExp][] = [
    ["unknown top-level key", "colour: blue\n", /^line 3: \/colour: unknown key/],
    ["unknown nested key", "jobs:\n  maxConcurrentJob: 5\n", /^line 4: \/jobs\/maxConcurrentJob: unknown key/],
    ["wrong kind", "apiVersion: jobworker/v1\nkind: Pod\n", /^line 2: \/kind: got "Pod", expected "AgentConfig"/],
    ["missing apiVersion", "kind: AgentConfig\n", /^line 1: \/: missing required key "apiVersion"/],
    ["bad listen address", "listen: localhost\n", /^line 3: \/listen: got "localhost", expected host:port/],
    ["bad duration", "jobs:\n  defaultGracePeriod: ten seconds\n", /^line 4: \/jobs\/defaultGracePeriod: got "ten seconds", expected a duration like 500ms/],
    ["bad quantity", "jobs:\n  outputCap: lots\n", /^line 4: \/jobs\/outputCap: got "lots", expected bytes, or a quantity like 256Mi/],
    ["a byte count past 2^53 (it could not be held exactly)", "jobs:\n  maxLimits:\n    memory: 100000000000000000000\n", /^line 5: \/jobs\/maxLimits\/memory: got 100000000000000000000, expected bytes, or a quantity like 256Mi/],
    ["negative limit", "jobs:\n  maxLimits:\n    cpu: -1\n", /^line 5: \/jobs\/maxLimits\/cpu: got -1, must be >= 0/],
    ["wrong type", "jobs:\n  maxConcurrentJobs: many\n", /^line 4: \/jobs\/maxConcurrentJobs: got "many", must be integer/],
    ["bad log level", "logLevel: loud\n", /^line 3: \/logLevel: got "loud", expected one of "trace", "debug"/],
    ["unknown operation in a role", "rbac:\n  roles:\n    ops: {operations: [start, reboot], scope: all}\n", /^line 5: \/rbac\/roles\/ops\/operations\/1: got "reboot", expected one of "start"/],
    ["role without scope", "rbac:\n  roles:\n    ops: {operations: [start]}\n", /^line 5: \/rbac\/roles\/ops: missing required key "scope"/],
    ["TLS files incomplete", "tls:\n  caFile: /x/ca.crt\n", /^line 4: \/tls: must have properties certFile, keyFile when property caFile is present/],
    ["bad cgroup mode", "cgroup:\n  mode: v1\n", /^line 4: \/cgroup\/mode: got "v1", expected one of "auto", "off"/],
    ["unknown login throttle key", "auth:\n  loginThrottle:\n    perUser: {burst: 5, window: 1m}\n", /^line 5: \/auth\/loginThrottle\/perUser\/window: unknown key/],
    ["zero concurrent password checks", "auth:\n  hashing: {maxConcurrent: 0}\n", /^line 4: \/auth\/hashing\/maxConcurrent: got 0, must be >= 1/],
    ["a zero per-client share of password checks", "auth:\n  hashing: {maxPerClient: 0}\n", /^line 4: \/auth\/hashing\/maxPerClient: got 0, must be >= 1/],
    ["YAML syntax", "jobs: [unclosed\n", /^line \d: YAML: /],
    ["zero handshake timeout", "connections:\n  handshakeTimeout: 0s\n", /^line 4: \/connections\/handshakeTimeout: got "0s", expected a duration greater than zero/],
    ["zero idle timeout", "connections:\n  idleTimeout: 0ms\n", /^line 4: \/connections\/idleTimeout: got "0ms", expected a duration greater than zero/],
    ["no connections at all", "connections:\n  max: 0\n", /^line 4: \/connections\/max: got 0, must be >= 1/],
    ["unknown connections key", "connections:\n  maxStartups: 10\n", /^line 4: \/connections\/maxStartups: unknown key/],
    ["scrape allow-list without a client CA", "metrics:\n  tls: {certFile: /x/m.crt, keyFile: /x/m.key, allowedClientNames: [prometheus]}\n", /^line 4: \/metrics\/tls: must have property clientCAFile when property allowedClientNames is present \(allowedClientNames needs clientCAFile\)/],
    ["empty scrape allow-list", "metrics:\n  tls: {certFile: /x/m.crt, keyFile: /x/m.key, clientCAFile: /x/ca.crt, allowedClientNames: []}\n", /^line 4: \/metrics\/tls\/allowedClientNames: got \[\], must NOT have fewer than 1 items/],
  ];
  for (const [name, body, expected] of broken) {
    it(`rejects: ${name}`, () => {
      const found = problems(name === "missing apiVersion" || name === "wrong kind" ? body : HEADER + body);
      expect(found.length, JSON.stringify(found)).to.be.greaterThan(0);
      expect(found.some((p) => expected.test(p)), JSON.stringify(found)).to.equal(true);
    });
  }

  it("maps the connections section (durations and caps)", () => {
    const doc = parseConfig("c.yaml", HEADER + "connections:\n  handshakeTimeout: 1500ms\n  idleTimeout: 2m\n  max: 50\n  maxUnauthenticated: 8\n  maxUnauthenticatedPerAddress: 2\n");
    expect(applyDocument(defaultSettings(), doc).connections).to.deep.equal({
      handshakeTimeoutMs: 1500, idleTimeoutMs: 120_000, max: 50, maxUnauthenticated: 8, maxUnauthenticatedPerAddress: 2,
    });
    expect(defaultSettings().connections).to.deep.equal({
      handshakeTimeoutMs: 10_000, idleTimeoutMs: 300_000, max: 1000, maxUnauthenticated: 64, maxUnauthenticatedPerAddress: 32,
    });
  });

  it("reports all errors at once", () => {
    const found = problems(HEADER + "colour: blue\nlogLevel: loud\njobs:\n  outputCap: lots\n");
    expect(found).to.have.length(3);
  });

  it("prints back (--print-config form) to a document that validates and maps to the same settings", () => {
    const metrics = "metrics:\n  bearerTokenFile: /t\n  tls: {certFile: /c, keyFile: /k, clientCAFile: /ca, allowedClientNames: [prometheus]}\n";
    const settings = applyDocument(defaultSettings(), parseConfig("x.yaml", HEADER + "jobs:\n  outputCap: 512Mi\n  maxConcurrentJobsPerOwner: 7\n  retention: {maxAge: 36h, maxFinishedJobsPerOwner: 9}\nconnections: {handshakeTimeout: 2500ms, max: 10}\n" + metrics));
    expect(settings.metrics).to.deep.equal({ listen: "localhost:9464", bearerTokenFile: "/t", tls: { certFile: "/c", keyFile: "/k", clientCAFile: "/ca", allowedClientNames: ["prometheus"] } });
    const printed = JSON.stringify(toDocument(settings));
    const again = applyDocument(defaultSettings(), parseConfig("printed.yaml", printed));
    expect(again).to.deep.equal(settings);
    expect(again.jobs).to.deep.include({ maxConcurrentJobsPerOwner: 7 });
    expect(again.jobs.retention.maxFinishedJobsPerOwner).to.equal(9);
  });
});
