// Issue 9 over the real agent and mutual TLS: failed logins are throttled per
// username (known or not) and per client certificate, throttled logins are
// RESOURCE_EXHAUSTED without a password check, and a full hashing queue refuses
// logins at once while other RPCs go on. Limits are set so that no bucket
// refills during a test (refillEvery 1h): nothing here depends on timing.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { devPasswords, startTestAgent, type TestAgent } from "../helpers/agent.js";
import { call, filesFor, login, workerClient } from "../helpers/client.js";

const HEADER = "apiVersion: jobworker/v1\nkind: AgentConfig\n";

async function startWith(config: string): Promise<{ agent: TestAgent; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "jobagent-login-throttle-"));
  writeFileSync(join(dir, "agent.yaml"), HEADER + config);
  return { agent: await startTestAgent({ args: ["--config", join(dir, "agent.yaml"), "--cgroup-mode", "off"] }), dir };
}

/** A counter's value from /metrics (0 if absent). */
async function counter(agent: TestAgent, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** retry-after is whole seconds, at most the refill interval (the clock runs on during the test, so no exact value). */
function expectRetryAfter(err: grpc.ServiceError, maxSeconds: number): void {
  const values = err.metadata.get("retry-after");
  expect(values).to.have.length(1);
  expect(String(values[0])).to.match(/^[1-9][0-9]*$/);
  expect(Number(values[0])).to.be.at.most(maxSeconds);
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (e: grpc.ServiceError) => e);

describe("login throttle (real agent)", () => {
  let agent: TestAgent;
  let dir: string;
  let passwords: Record<string, string>;
  before(async () => {
    ({ agent, dir } = await startWith(
      "auth:\n  loginThrottle:\n    perUser: {burst: 3, refillEvery: 1h}\n    perClient: {burst: 5, refillEvery: 1h}\n",
    ));
    passwords = devPasswords(agent);
  });
  after(async () => {
    await agent.stop();
    agent.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const as = (client: string, username: string, password: string) => login(agent.address, filesFor(agent.pkiDir, client), username, password);
  const checks = () => counter(agent, "jobworker_login_password_checks_total");

  async function expectCode(promise: Promise<unknown>, code: keyof typeof grpc.status, details: RegExp): Promise<grpc.ServiceError> {
    const err = await failure(promise);
    expect(err, "should fail").to.not.equal(undefined);
    expect(grpc.status[err!.code], err!.details).to.equal(code);
    expect(err!.details).to.match(details);
    return err!;
  }

  it("after the burst of failed logins for a user, refuses even the right password, RESOURCE_EXHAUSTED, without checking it", async () => {
    expect((await as("alice", "alice", passwords.alice)).role).to.equal("user"); // alice's own client, before the attack
    for (let i = 0; i < 3; i++) await expectCode(as("bob", "alice", `guess-${i}`), "UNAUTHENTICATED", /wrong username or password/);
    const before = await checks();
    const err = await expectCode(as("bob", "alice", passwords.alice), "RESOURCE_EXHAUSTED", /^too many failed logins for user "alice": retry in [0-9hms]+$/);
    expectRetryAfter(err, 3600);
    expect(await checks()).to.equal(before);
    expect(await counter(agent, 'jobworker_login_throttled_total{reason="user"}')).to.equal(1);
    expect(agent.logs.some((l) => l.msg === "login throttled: too many failed logins (auth.loginThrottle)" && l.username === "alice" && l.throttled === "user")).to.equal(true);
  });

  it("still lets alice in from a client she has logged in from; another user from another client is unaffected", async () => {
    expect((await as("alice", "alice", passwords.alice)).role).to.equal("user");
    expect((await as("admin", "admin", passwords.admin)).role).to.equal("admin");
    await expectCode(as("admin", "alice", passwords.alice), "RESOURCE_EXHAUSTED", /for user "alice"/); // a client she has not used
  });

  it("throttles an unknown user exactly like a known one", async () => {
    for (let i = 0; i < 3; i++) await expectCode(as("viewer", "mallory", `guess-${i}`), "UNAUTHENTICATED", /^wrong username or password$/);
    const before = await checks();
    const unknown = await expectCode(as("viewer", "mallory", "x"), "RESOURCE_EXHAUSTED", /for user "mallory"/);
    const known = await expectCode(as("viewer", "alice", "x"), "RESOURCE_EXHAUSTED", /for user "alice"/);
    // The same answer but for the name and the time left (their failures were at different times).
    const shape = (err: grpc.ServiceError) => err.details.replace(/"[^"]*"/, "NAME").replace(/retry in \S+$/, "retry in T");
    expect(shape(unknown)).to.equal(shape(known));
    expectRetryAfter(unknown, 3600);
    expect(await checks()).to.equal(before);
  });

  it("throttles a client certificate spraying usernames", async () => {
    // bob has failed 3 times (first test): 2 more of its 5.
    await expectCode(as("bob", "carol", "x"), "UNAUTHENTICATED", /wrong username or password/);
    await expectCode(as("bob", "dave", "x"), "UNAUTHENTICATED", /wrong username or password/);
    const err = await expectCode(as("bob", "erin", "x"), "RESOURCE_EXHAUSTED", /^too many failed logins from client certificate "bob": retry in [0-9hms]+$/);
    expectRetryAfter(err, 3600);
    expect(await counter(agent, 'jobworker_login_throttled_total{reason="client"}')).to.equal(1);
  });
});

describe("login hashing queue (real agent)", () => {
  let agent: TestAgent;
  let dir: string;
  before(async () => {
    // One derivation at a time and none waiting; no throttle (refillEvery 0), so only the queue refuses.
    ({ agent, dir } = await startWith(
      "auth:\n  hashing: {maxConcurrent: 1, maxQueued: 0}\n  loginThrottle:\n    perUser: {refillEvery: '0'}\n    perClient: {refillEvery: '0'}\n",
    ));
  });
  after(async () => {
    await agent.stop();
    agent.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses logins past the queue at once, RESOURCE_EXHAUSTED without hashing, while a concurrent Start succeeds", async () => {
    const files = filesFor(agent.pkiDir, "viewer");
    const codes: string[] = [];
    const client = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
    try {
      // Rounds of concurrent logins until one finds the queue full (the first round almost always does).
      for (let round = 0; round < 20 && !codes.includes("RESOURCE_EXHAUSTED"); round++) {
        const logins = Array.from({ length: 8 }, (_, i) => failure(login(agent.address, files, "alice", `wrong-${i}`)));
        const started = call<object, { jobID: Buffer }>(client, "Start", { commandName: "true", arguments: [] });
        for (const err of await Promise.all(logins)) {
          codes.push(grpc.status[err!.code]);
          if (err!.code === grpc.status.RESOURCE_EXHAUSTED) {
            expect(err!.details).to.equal("too many logins in progress: retry in a second");
            expect(err!.metadata.get("retry-after")).to.deep.equal(["1"]);
          }
        }
        expect((await started).jobID).to.have.length(16);
      }
    } finally {
      client.close();
    }
    expect(codes).to.include("RESOURCE_EXHAUSTED");
    expect([...new Set(codes)].sort()).to.deep.equal(["RESOURCE_EXHAUSTED", "UNAUTHENTICATED"]);
    const wrong = codes.filter((c) => c === "UNAUTHENTICATED").length;
    expect(await counter(agent, "jobworker_login_password_checks_total")).to.equal(wrong);
    expect(await counter(agent, 'jobworker_login_throttled_total{reason="queue"}')).to.equal(codes.length - wrong);
  });
});
