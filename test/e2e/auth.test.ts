// Seed 003's login over the real agent: development users, tokens as bearer
// metadata overriding the certificate's identity, and every token failure.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { SignJWT } from "jose";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { AgentInfoResponse__Output } from "../../proto/generated/workerservice/AgentInfoResponse.js";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { filesFor, login as loginWith, workerClient, type ClientFiles } from "../helpers/client.js";

describe("login with tokens (seed 003)", () => {
  let agent: TestAgent;
  let passwords: Record<string, string>;
  before(async () => {
    agent = await startTestAgent();
    const created = agent.logs.find((l) => l.msg === "development users created");
    passwords = Object.fromEntries((created!.users as { name: string; password: string }[]).map((u) => [u.name, u.password]));
  });
  after(async () => {
    await agent.stop();
    agent.cleanup();
  });

  const login = (files: ClientFiles, username: string, password: string, authorization?: string) =>
    loginWith(agent.address, files, username, password, authorization);

  function info(files: ClientFiles, authorization?: string): Promise<AgentInfoResponse__Output> {
    const client = workerClient(agent.address, files);
    const metadata = new grpc.Metadata();
    if (authorization) metadata.set("authorization", authorization);
    return new Promise((resolve, reject) =>
      client.AgentInfo({}, metadata, (err, res) => {
        client.close();
        if (err) reject(err);
        else resolve(res!);
      }),
    );
  }

  async function expectUnauthenticated(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
    const err = await promise.then(() => undefined, (e: grpc.ServiceError) => e);
    expect(err, "should fail").to.not.equal(undefined);
    expect(grpc.status[err!.code]).to.equal("UNAUTHENTICATED");
    expect(err!.details).to.match(pattern);
  }

  it("creates the development users admin and alice, printing their passwords once", async () => {
    expect(Object.keys(passwords).sort()).to.deep.equal(["admin", "alice"]);
    const stored = readFileSync(join(agent.stateDir, "auth", "dev-users.json"), "utf8");
    for (const password of Object.values(passwords)) expect(stored).to.not.include(password);
    expect(statSync(join(agent.stateDir, "auth", "jwt.key")).mode & 0o777).to.equal(0o600);
  });

  it("issues a token whose user and role become the caller's identity", async () => {
    const viewer = filesFor(agent.pkiDir, "viewer");
    const { token, role, expiresAt } = await login(viewer, "alice", passwords.alice);
    expect(role).to.equal("user");
    const days = (Number(expiresAt.seconds) * 1000 - Date.now()) / 86_400_000;
    expect(days).to.be.within(29.9, 30.1); // seed 003: 30 days
    expect(await info(viewer)).to.include({ identity: "viewer", role: "readonly" });
    expect(await info(viewer, `Bearer ${token}`)).to.include({ identity: "alice", role: "user" });
  });

  it("refuses a wrong password and an unknown user alike", async () => {
    const files = filesFor(agent.pkiDir, "viewer");
    await expectUnauthenticated(login(files, "alice", "not-the-password"), /wrong username or password/);
    await expectUnauthenticated(login(files, "mallory", "whatever"), /wrong username or password/);
  });

  it("refuses empty credentials with INVALID_ARGUMENT", async () => {
    const err = await login(filesFor(agent.pkiDir, "viewer"), "", "x").then(() => undefined, (e: grpc.ServiceError) => e);
    expect(err?.code).to.equal(grpc.status.INVALID_ARGUMENT);
  });

  it("refuses an expired, a wrongly signed and a malformed token, and a bad header", async () => {
    const files = filesFor(agent.pkiDir, "viewer");
    const key = readFileSync(join(agent.stateDir, "auth", "jwt.key"));
    const sign = (k: Uint8Array, exp: number) =>
      new SignJWT({ role: "admin" }).setProtectedHeader({ alg: "HS256" }).setSubject("admin").setIssuer("jobworker").setAudience("jobworker").setIssuedAt(exp - 3600).setExpirationTime(exp).sign(k);
    const now = Math.floor(Date.now() / 1000);
    await expectUnauthenticated(info(files, `Bearer ${await sign(key, now - 60)}`), /token expired/);
    await expectUnauthenticated(info(files, `Bearer ${await sign(new Uint8Array(32).fill(7), now + 3600)}`), /signature is not valid/);
    await expectUnauthenticated(info(files, "Bearer abc"), /malformed token/);
    await expectUnauthenticated(info(files, "Basic YWRtaW46eA=="), /Bearer <token>/);
    // Login itself ignores a stale token: an expired one never blocks getting a new one.
    expect((await login(files, "alice", passwords.alice, `Bearer ${await sign(key, now - 60)}`)).role).to.equal("user");
    // The agent's own key, a valid token: accepted.
    expect(await info(files, `Bearer ${await sign(key, now + 3600)}`)).to.include({ identity: "admin", role: "admin" });
    // Validly signed, but for a user the agent does not (or no longer) have: refused.
    const forUser = (sub: string, role: string) =>
      new SignJWT({ role }).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuer("jobworker").setAudience("jobworker").setIssuedAt(now).setExpirationTime(now + 3600).sign(key);
    await expectUnauthenticated(info(files, `Bearer ${await forUser("mallory", "admin")}`), /no longer exists/);
    // The role is the user's current one, not the one written in the token.
    expect(await info(files, `Bearer ${await forUser("alice", "admin")}`)).to.include({ identity: "alice", role: "user" });
  });

  it("still requires mutual TLS: no client certificate, no login and no token use", async () => {
    const anonymous = filesFor(agent.pkiDir);
    await expectUnauthenticated(login(anonymous, "admin", passwords.admin), /client certificate/);
    const { token } = await login(filesFor(agent.pkiDir, "viewer"), "admin", passwords.admin);
    await expectUnauthenticated(info(anonymous, `Bearer ${token}`), /client certificate/);
  });

  it("does not print the passwords again on the next start", async () => {
    await agent.stop();
    agent = await startTestAgent({ stateDir: agent.stateDir });
    expect(agent.logs.some((l) => l.msg === "development users created")).to.equal(false);
    const { role } = await login(filesFor(agent.pkiDir, "viewer"), "admin", passwords.admin);
    expect(role).to.equal("admin");
  });
});
