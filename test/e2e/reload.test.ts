// SIGHUP: roles, log level and the TLS certificate change live; a broken file
// is rejected with its errors logged and the running configuration stays.
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { hashPassword } from "../../agent/auth/passwords.js";
import { generatePki } from "../../certs/layout.js";
import { issueServerCert, loadCa } from "../../certs/pki.js";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { eventually } from "../helpers/wait.js";
import { call, filesFor, login as loginWith, workerClient } from "../helpers/client.js";
import { tempDir } from "../helpers/tmp.js";

describe("configuration reload (SIGHUP)", () => {
  let dir: ReturnType<typeof tempDir>;
  let agent: TestAgent;
  let configPath: string;
  let pkiDir: string;

  function writeConfig(userOperations: string[], extra = ""): void {
    writeFileSync(
      configPath,
      `apiVersion: jobworker/v1
kind: AgentConfig
logLevel: info
tls:
  caFile: ${pkiDir}/ca.crt
  certFile: ${pkiDir}/server.crt
  keyFile: ${pkiDir}/server.key
rbac:
  roles:
    admin: {operations: [start, stop, status, list, output, info], scope: all}
    user: {operations: [${userOperations.join(", ")}], scope: own}
${extra}`,
    );
  }

  async function hangup(message: RegExp): Promise<Record<string, unknown>> {
    const seen = agent.logs.length;
    process.kill(agent.pid, "SIGHUP");
    return eventually(`a log line matching ${message} after SIGHUP`, () => agent.logs.slice(seen).find((l) => message.test(String(l.msg))));
  }

  before(async () => {
    dir = tempDir();
    pkiDir = join(dir.path, "pki");
    await generatePki({ dir: pkiDir, clients: [{ name: "admin", role: "admin" }, { name: "alice", role: "user" }], configPath: false });
    configPath = join(dir.path, "agent.yaml");
    writeConfig(["status", "list", "info"]);
    agent = await startTestAgent({ args: ["--config", configPath] });
  });
  after(async () => {
    for (const client of Object.values(clients)) client.close();
    await agent.stop();
    agent.cleanup();
    dir.cleanup();
  });

  // Roles are checked per RPC, so one channel per identity sees every reload.
  const clients: Record<string, ReturnType<typeof workerClient>> = {};
  const start = (who: string) => call((clients[who] ??= workerClient(agent.address, filesFor(pkiDir, who))), "Start", { commandName: "true" });

  it("applies changed roles without a restart", async () => {
    await start("alice").then(
      () => expect.fail("alice may not start yet"),
      (e: grpc.ServiceError) => expect(e.code).to.equal(grpc.status.PERMISSION_DENIED),
    );
    writeConfig(["start", "status", "list", "info"]);
    const line = await hangup(/configuration reloaded|reload rejected/);
    expect(line.msg).to.equal("configuration reloaded");
    await start("alice");
  });

  it("rejects a broken file, logs every error, and keeps the running configuration", async () => {
    writeFileSync(configPath, "apiVersion: jobworker/v1\nkind: AgentConfig\nlogLevel: loud\nrbac:\n  roles:\n    user: {operations: [start]}\n");
    const line = await hangup(/configuration reloaded|reload rejected/);
    expect(line.msg).to.equal("configuration reload rejected; the running configuration stays");
    const problems = line.problems as string[];
    expect(problems.some((p) => /\/logLevel: got "loud"/.test(p))).to.equal(true);
    expect(problems.some((p) => /\/rbac\/roles\/user: missing required key "scope"/.test(p))).to.equal(true);
    await start("alice"); // the roles from the last good file still hold
  });

  it("serves a rotated certificate to new connections", async () => {
    const before = await servedCertificateSerial();
    expect(before).to.equal(new X509Certificate(readFileSync(join(pkiDir, "server.crt"))).serialNumber);
    const ca = await loadCa(join(pkiDir, "ca.crt"), join(pkiDir, "ca.key"));
    const rotated = await issueServerCert(ca, {});
    writeFileSync(join(pkiDir, "server.key"), rotated.keyPem);
    writeFileSync(join(pkiDir, "server.crt"), rotated.certPem);
    writeConfig(["start", "status", "list", "info"]);
    expect((await hangup(/configuration reloaded|reload rejected/)).msg).to.equal("configuration reloaded");
    const after = await servedCertificateSerial();
    expect(after).to.equal(new X509Certificate(rotated.certPem).serialNumber);
    expect(after).to.not.equal(before);
    await start("admin"); // and gRPC clients still verify it
  });

  it("lets users declared in the configuration log in, and picks up new ones on SIGHUP", async () => {
    const carolHash = await hashPassword("carol-secret");
    writeConfig(["start", "status", "list", "info"], `auth:\n  tokenTtl: 1h\n  users:\n  - {name: carol, role: user, passwordHash: "${carolHash}"}\n`);
    expect((await hangup(/configuration reloaded|reload rejected/)).msg).to.equal("configuration reloaded");
    const login = (username: string, password: string) => loginWith(agent.address, filesFor(pkiDir, "admin"), username, password);
    const carol = await login("carol", "carol-secret");
    expect(carol.role).to.equal("user");
    expect(Number(carol.expiresAt.seconds) * 1000 - Date.now()).to.be.within(3500_000, 3600_000); // tokenTtl: 1h
    const wrong = await login("carol", "nope").then(() => undefined, (e: grpc.ServiceError) => e);
    expect(wrong?.code).to.equal(grpc.status.UNAUTHENTICATED);
    // No development users when TLS files are configured.
    const dev = await login("admin", "anything").then(() => undefined, (e: grpc.ServiceError) => e);
    expect(dev?.code).to.equal(grpc.status.UNAUTHENTICATED);
  });

  function servedCertificateSerial(): Promise<string> {
    const files = filesFor(pkiDir, "admin");
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: agent.port, servername: "localhost", ALPNProtocols: ["h2"], ca: files.ca, cert: files.cert, key: files.key });
      socket.once("secureConnect", () => {
        resolve(socket.getPeerX509Certificate()!.serialNumber);
        socket.destroy();
      });
      socket.once("error", reject);
    });
  }
});
