// Issue 9 over the real agent and mutual TLS: failed logins are throttled per
// username (known or not) and per client certificate, throttled logins are
// RESOURCE_EXHAUSTED without a password check, and a full hashing queue refuses
// logins at once while other RPCs go on. Limits are set so that no bucket
// refills during a test (refillEvery 1h): nothing here depends on timing. Each
// test starts its own agent, so that each sets up what it needs (--grep works).
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import { hashPassword } from "../../agent/auth/passwords.js";
import { authservice } from "../../proto/load.js";
import { devPasswords, startTestAgent, type TestAgent } from "../helpers/agent.js";
import { call, filesFor, login, workerClient } from "../helpers/client.js";
import { eventually } from "../helpers/wait.js";

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

const THROTTLE = "  loginThrottle:\n    perUser: {burst: 3, refillEvery: 1h}\n    perClient: {burst: 5, refillEvery: 1h}\n";

describe("login throttle (real agent)", () => {
  let agent: TestAgent;
  let dir: string;
  let passwords: Record<string, string>;
  beforeEach(async () => {
    ({ agent, dir } = await startWith("auth:\n" + THROTTLE));
    passwords = devPasswords(agent);
  });
  afterEach(async () => {
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
    // Through the agent's stdout pipe, which may lag behind the refusal on a loaded machine.
    await eventually("the throttle logged", () => agent.logs.some((l) => l.msg === "login throttled: too many failed logins (auth.loginThrottle)" && l.username === "alice" && l.throttled === "user"));
  });

  it("still lets alice in from a client she has logged in from; another user from another client is unaffected", async () => {
    expect((await as("alice", "alice", passwords.alice)).role).to.equal("user"); // alice's own client, before the attack
    for (let i = 0; i < 3; i++) await expectCode(as("bob", "alice", `guess-${i}`), "UNAUTHENTICATED", /wrong username or password/);
    await expectCode(as("bob", "alice", passwords.alice), "RESOURCE_EXHAUSTED", /for user "alice"/);
    expect((await as("alice", "alice", passwords.alice)).role).to.equal("user");
    expect((await as("admin", "admin", passwords.admin)).role).to.equal("admin");
    await expectCode(as("admin", "alice", passwords.alice), "RESOURCE_EXHAUSTED", /for user "alice"/); // a client she has not used
  });

  it("throttles an unknown user exactly like a known one", async () => {
    for (let i = 0; i < 3; i++) await expectCode(as("bob", "alice", `guess-${i}`), "UNAUTHENTICATED", /wrong username or password/);
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
    for (const username of ["alice", "carol", "dave", "frank", "grace"]) {
      await expectCode(as("bob", username, "x"), "UNAUTHENTICATED", /wrong username or password/);
    }
    const err = await expectCode(as("bob", "erin", "x"), "RESOURCE_EXHAUSTED", /^too many failed logins from client certificate "bob": retry in [0-9hms]+$/);
    expectRetryAfter(err, 3600);
    expect(await counter(agent, 'jobworker_login_throttled_total{reason="client"}')).to.equal(1);
  });
});

describe("login throttle and configuration reload (real agent)", () => {
  let agent: TestAgent;
  let dir: string;
  const configWith = (hash: string) => `${HEADER}auth:\n${THROTTLE}  users:\n  - {name: carol, role: user, passwordHash: "${hash}"}\n`;
  before(async () => {
    ({ agent, dir } = await startWith(configWith(await hashPassword("first-secret")).slice(HEADER.length)));
  });
  after(async () => {
    await agent.stop();
    agent.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("ends a client's trust for a user whose password changed on SIGHUP", async () => {
    const as = (client: string, password: string) => login(agent.address, filesFor(agent.pkiDir, client), "carol", password);
    expect((await as("alice", "first-secret")).role).to.equal("user"); // carol's client: trusted
    for (let i = 0; i < 3; i++) expect((await failure(as("bob", `guess-${i}`)))!.code).to.equal(grpc.status.UNAUTHENTICATED);
    expect((await failure(as("bob", "first-secret")))!.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
    expect((await as("alice", "first-secret")).role).to.equal("user"); // past the lockout: trusted

    writeFileSync(join(dir, "agent.yaml"), configWith(await hashPassword("second-secret")));
    const seen = agent.logs.length;
    process.kill(agent.pid, "SIGHUP");
    await eventually("the reload", () => agent.logs.slice(seen).find((l) => l.msg === "configuration reloaded"));
    // The trust was earned with the old password: carol's client is now throttled like any other.
    const err = await failure(as("alice", "second-secret"));
    expect(err, "should be refused").to.not.equal(undefined);
    expect(grpc.status[err!.code]).to.equal("RESOURCE_EXHAUSTED");
    expect(err!.details).to.match(/^too many failed logins for user "carol": retry in/);
  });
});

describe("login hashing queue, shared by clients (real agent, default auth.hashing)", () => {
  let agent: TestAgent;
  let dir: string;
  const USERS = ["u1", "u2", "u3", "u4", "carol"];
  before(async () => {
    const hash = await hashPassword("flood-secret");
    ({ agent, dir } = await startWith(`auth:\n  users:\n${USERS.map((name) => `  - {name: ${name}, role: user, passwordHash: "${hash}"}\n`).join("")}`));
  });
  after(async () => {
    await agent.stop();
    agent.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("two clients flooding with a correct password cannot keep a third client's login from being served", async () => {
    // bob and viewer know the password of u1..u4: successes cost no throttle token, so each keeps
    // 20 logins in flight (5 per user: each trusted pair's burst) over one connection; 40 would
    // hold the whole queue (1 running + 32 waiting) without the per-client share.
    const clients = ["bob", "viewer"].map((name) => {
      const files = filesFor(agent.pkiDir, name);
      const context = createSecureContext({ ca: files.ca, cert: files.cert, key: files.key, minVersion: "TLSv1.3" });
      return new (authservice().AuthService)(agent.address, grpc.credentials.createFromSecureContext(context), { "grpc.ssl_target_name_override": "localhost" });
    });
    let stop = false;
    const answers: Record<string, number> = {};
    const loop = async (client: (typeof clients)[number], username: string) => {
      while (!stop) {
        const code = await new Promise<number>((resolve) => client.Login({ username, password: "flood-secret" }, (err) => resolve(err ? err.code : 0)));
        answers[grpc.status[code]] = (answers[grpc.status[code]] ?? 0) + 1;
        if (code !== 0) await new Promise((resolve) => setTimeout(resolve, 200)); // refused: no busy loop on a small machine
      }
    };
    const flood = clients.flatMap((client) => Array.from({ length: 20 }, (_, i) => loop(client, USERS[i % 4])));
    try {
      await eventually("the flood under way", () => (answers.OK ?? 0) >= 20);
      const third: string[] = [];
      for (let i = 0; i < 5; i++) {
        third.push(await login(agent.address, filesFor(agent.pkiDir, "admin"), "carol", "flood-secret").then((r) => r.role, (e: grpc.ServiceError) => e.details));
      }
      expect(third).to.deep.equal(Array(5).fill("user"));
    } finally {
      stop = true;
      await Promise.all(flood);
      for (const client of clients) client.close();
    }
    // The flooders were held to their share; the queue itself was never full.
    expect(await counter(agent, 'jobworker_login_throttled_total{reason="clientQueue"}'), JSON.stringify(answers)).to.be.above(0);
    expect(await counter(agent, 'jobworker_login_throttled_total{reason="queue"}')).to.equal(0);
  }).timeout(120_000); // ~20 s on a shared 2-core machine: the flood's clients share its cores
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
