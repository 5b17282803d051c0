// jobctl login / logout end to end against the real agent's AuthService: the
// token lands in the right user entry (of the right file), every later call
// (unary and streaming) acts as the token's user, and each way a token can be
// bad is UNAUTHENTICATED, exit 3, with the agent's reason.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT } from "jose";
import { parse } from "yaml";
import { devPasswords, startTestAgent, type TestAgent } from "../../helpers/agent.js";
import { runJobctl, type JobctlRun } from "../../helpers/run-jobctl.js";

describe("jobctl login and tokens (real agent)", function () {
  let agent: TestAgent;
  let passwords: Record<string, string>;
  let config: string;

  before(async () => {
    agent = await startTestAgent();
    passwords = devPasswords(agent);
  });
  after(async () => {
    await agent.stop();
    agent.cleanup();
  });
  beforeEach(() => {
    // A fresh copy of the agent's config beside it (its relative paths still resolve), without tokens.
    config = join(agent.stateDir, `login-${Date.now()}.yaml`);
    copyFileSync(agent.jobctlConfigPath, config);
  });

  const jobctl = (args: string[], stdin?: string, env: Record<string, string | undefined> = {}) =>
    runJobctl(env.JOBCTL_CONFIG ? args : ["--config", config, ...args], { stdin, env: { JOBCTL_CONFIG: undefined, ...env } });

  async function identity(context: string, env?: Record<string, string | undefined>): Promise<string> {
    const run = await jobctl(["--context", context, "info"], undefined, env);
    expect(run.code, run.stderr).to.equal(0);
    return /^You: +(.*)$/m.exec(run.stdout)![1]!;
  }

  function tokenOf(file: string, user: string): string | undefined {
    const doc = parse(readFileSync(file, "utf8")) as { users: { name: string; user: { token?: string } }[] };
    return doc.users.find((entry) => entry.name === user)?.user.token;
  }

  function expectUnauthenticated(run: JobctlRun, reason: RegExp): void {
    expect(run.code, run.stderr).to.equal(3);
    expect(run.stdout).to.equal("");
    expect(run.stderr).to.match(/^error: UNAUTHENTICATED: /).and.match(reason);
  }

  it("stores the token in the context's user; calls then act as the token's user, streams included", async () => {
    const run = await jobctl(["--context", "bob", "login", "-u", "alice"], `${passwords.alice}\n`);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(new RegExp(`^Logged in as alice \\(role user\\), until \\d{4}-.*Z; token stored in user "bob" of ${config}\\.\n$`));
    expect(tokenOf(config, "bob")).to.match(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(tokenOf(config, "alice")).to.equal(undefined);
    expect(await identity("bob")).to.equal("alice (role user)");

    const start = await jobctl(["--context", "bob", "start", "--", "sh", "-c", "echo streamed"]);
    expect(start.code, start.stderr).to.equal(0);
    const id = start.stdout.trim();
    const follow = await jobctl(["--context", "bob", "logs", "-f", id]); // GetOutput carries the token too
    expect(follow.code, follow.stderr).to.equal(0);
    expect(follow.stdout).to.equal("streamed\n");
    const owner = (await jobctl(["--context", "admin", "get", "jobs", "-o", "json"])).stdout;
    expect((JSON.parse(owner) as { items: { id: string; owner: string }[] }).items.find((job) => job.id === id)?.owner).to.equal("alice");

    const view = await jobctl(["--context", "bob", "config", "view", "--minify"]);
    expect(view.stdout).to.match(/^ {4}token: REDACTED$/m);
    const logout = await jobctl(["--context", "bob", "logout"]);
    expect(logout.stdout).to.equal(`Logged out: removed the token of user "bob" from ${config}.\n`);
    expect(tokenOf(config, "bob")).to.equal(undefined);
    expect(await identity("bob")).to.equal("bob (role user)");
    expect((await jobctl(["--context", "bob", "logout"])).stdout).to.equal('No token stored for user "bob".\n');
  });

  it("-p gives the password on the command line; the role is the user's, not the certificate's", async () => {
    const run = await jobctl(["--context", "viewer", "login", "-u", "admin", "-p", passwords.admin!]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^Logged in as admin \(role admin\)/);
    expect(await identity("viewer")).to.equal("admin (role admin)");
  });

  it("a wrong password or an unknown user: exit 3, nothing stored", async () => {
    expectUnauthenticated(await jobctl(["--context", "bob", "login", "-u", "alice"], "wrong\n"), /wrong username or password/);
    expectUnauthenticated(await jobctl(["--context", "bob", "login", "-u", "mallory", "-p", "x"]), /wrong username or password/);
    expect(tokenOf(config, "bob")).to.equal(undefined);
    const empty = await jobctl(["--context", "bob", "login", "-u", "alice"], "");
    expect(empty.code).to.equal(2);
    expect(empty.stderr).to.match(/no password given: stdin is empty/);
  });

  describe("bad tokens in the config: exit 3 with the agent's reason", () => {
    const claims = (expSecondsFromNow: number) =>
      new SignJWT({ role: "admin" })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject("admin")
        .setIssuer("jobworker")
        .setAudience("jobworker")
        .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
        .setExpirationTime(Math.floor(Date.now() / 1000) + expSecondsFromNow);
    const agentKey = () => readFileSync(join(agent.stateDir, "auth", "jwt.key"));

    function storeToken(user: string, token: string): void {
      const text = readFileSync(config, "utf8");
      writeFileSync(config, text.replace(`    client-key: pki/clients/${user}.key\n`, `    client-key: pki/clients/${user}.key\n    token: ${token}\n`));
      expect(tokenOf(config, user)).to.equal(token);
    }

    it("a token signed with the agent's key works (the test's tokens are well formed)", async () => {
      storeToken("bob", await claims(3600).sign(agentKey()));
      expect(await identity("bob")).to.equal("admin (role admin)");
    });

    it("expired", async () => {
      storeToken("bob", await claims(-60).sign(agentKey()));
      expectUnauthenticated(await jobctl(["--context", "bob", "get", "jobs"]), /expired/);
    });

    it("signed with another key", async () => {
      storeToken("bob", await claims(3600).sign(randomBytes(32)));
      expectUnauthenticated(await jobctl(["--context", "bob", "get", "jobs"]), /signature/);
    });

    it("malformed, on unary and streaming calls alike", async () => {
      storeToken("bob", "abc");
      expectUnauthenticated(await jobctl(["--context", "bob", "get", "jobs"]), /malformed token/);
      expectUnauthenticated(await jobctl(["--context", "bob", "logs", "-f", "0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d"]), /malformed token/);
    });

    it("login replaces an expired token (it does not send the old one)", async () => {
      storeToken("bob", await claims(-60).sign(agentKey()));
      const run = await jobctl(["--context", "bob", "login", "-u", "alice"], `${passwords.alice}\n`);
      expect(run.code, run.stderr).to.equal(0);
      expect(await identity("bob")).to.equal("alice (role user)");
    });
  });

  it("with two files, the token goes to the file that defines the user", async () => {
    mkdirSync(join(agent.stateDir, "personal"), { recursive: true });
    const personal = join(agent.stateDir, "personal", `contexts-${Date.now()}.yaml`);
    writeFileSync(personal, "contexts:\n- name: me\n  context: {cluster: local, user: bob}\ncurrent-context: me\n");
    const env = { JOBCTL_CONFIG: `${personal}:${config}` };
    const run = await jobctl(["login", "-u", "alice"], `${passwords.alice}\n`, env);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include(`token stored in user "bob" of ${config}.`);
    expect(readFileSync(personal, "utf8")).not.to.include("token");
    expect(tokenOf(config, "bob")).to.be.a("string");
    expect(await identity("me", env)).to.equal("alice (role user)");
  });
});
