import { expect } from "chai";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { writeJobctlConfig } from "../../certs/jobctl-config.js";
import { AlreadyExistsError, ensureDevPki, generatePki, hostOf, issueClient } from "../../certs/layout.js";
import { readCertificateRole } from "../../common/certificate-role.js";
import { tempDir } from "../helpers/tmp.js";

const mode = (path: string) => statSync(path).mode & 0o777;
const cert = (path: string) => new X509Certificate(readFileSync(path));
const role = (path: string) => readCertificateRole(cert(path).raw);
const PUBLIC = 0o644 & ~process.umask(); // creation modes are subject to the umask

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}

describe("PKI layout on disk", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());

  it("writes the jobctl config in exactly the kubeconfig shape", async () => {
    const pki = join(dir.path, "pki");
    await writeJobctlConfig(join(pki, "jobctl.yaml"), {
      server: "localhost:5000",
      caPath: join(pki, "ca.crt"),
      clients: [{ name: "admin", certPath: join(pki, "clients/admin.crt"), keyPath: join(pki, "clients/admin.key") }],
    });
    expect(readFileSync(join(pki, "jobctl.yaml"), "utf8")).to.equal(`apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: localhost:5000
    certificate-authority: ca.crt
users:
- name: admin
  user:
    client-certificate: clients/admin.crt
    client-key: clients/admin.key
contexts:
- name: admin
  context:
    cluster: local
    user: admin
current-context: admin
`);
    expect(mode(join(pki, "jobctl.yaml"))).to.equal(0o600);
  });

  it("generates the CA, server and client files with private keys 0600 and a config", async () => {
    const out = join(dir.path, "pki");
    const pki = await generatePki({
      dir: out,
      serverNames: ["agent.example.com"],
      clients: [
        { name: "ops", role: "admin" },
        { name: "ci", role: "user" },
      ],
      server: "agent.example.com:5000",
    });
    expect(readdirSync(out).sort()).to.deep.equal(["ca.crt", "ca.key", "clients", "jobctl.yaml", "server.crt", "server.key"]);
    expect(readdirSync(join(out, "clients")).sort()).to.deep.equal(["ci.crt", "ci.key", "ops.crt", "ops.key"]);
    for (const key of ["ca.key", "server.key", "clients/ops.key", "clients/ci.key", "jobctl.yaml"]) expect(mode(join(out, key)), key).to.equal(0o600);
    for (const crt of ["ca.crt", "server.crt", "clients/ops.crt", "clients/ci.crt"]) expect(mode(join(out, crt)), crt).to.equal(PUBLIC);
    expect(mode(out)).to.equal(0o700);

    const ca = cert(pki.caPath);
    expect(cert(pki.certPath).checkIssued(ca)).to.equal(true);
    expect(cert(pki.certPath).checkHost("agent.example.com")).to.equal("agent.example.com");
    expect(role(pki.clients.ops!.certPath)).to.equal("admin");
    expect(role(pki.clients.ci!.certPath)).to.equal("user");
    expect(cert(pki.clients.ci!.certPath).verify(ca.publicKey)).to.equal(true);

    const config = parse(readFileSync(pki.configPath!, "utf8"));
    expect(config.clusters).to.deep.equal([{ name: "local", cluster: { server: "agent.example.com:5000", "certificate-authority": "ca.crt" } }]);
    expect(config.users.map((u: { name: string }) => u.name)).to.deep.equal(["ops", "ci"]);
    expect(config["current-context"]).to.equal("ops");
    expect(readdirSync(out).filter((f) => f.endsWith(".tmp"))).to.deep.equal([]);
  });

  it("refuses to replace an existing CA unless forced", async () => {
    const out = join(dir.path, "pki");
    await generatePki({ dir: out, clients: [{ name: "a", role: "admin" }] });
    const before = readFileSync(join(out, "ca.crt"), "utf8");
    const error = await rejection(generatePki({ dir: out, clients: [{ name: "a", role: "admin" }], configPath: false }));
    expect(error).to.be.instanceOf(AlreadyExistsError);
    expect(error.message).to.match(/ca\.crt already exists/);
    expect(readFileSync(join(out, "ca.crt"), "utf8")).to.equal(before);

    await generatePki({ dir: out, clients: [{ name: "a", role: "admin" }], force: true });
    expect(readFileSync(join(out, "ca.crt"), "utf8")).not.to.equal(before);
    expect(cert(join(out, "clients/a.crt")).checkIssued(cert(join(out, "ca.crt")))).to.equal(true);
  });

  it("two generators racing for one directory leave one consistent PKI", async () => {
    const out = join(dir.path, "pki");
    const results = await Promise.allSettled([1, 2].map(() => generatePki({ dir: out, clients: [{ name: "a", role: "admin" }], configPath: false })));
    expect(results.map((r) => r.status).sort()).to.deep.equal(["fulfilled", "rejected"]);
    const ca = cert(join(out, "ca.crt"));
    expect(cert(join(out, "server.crt")).checkIssued(ca)).to.equal(true);
    expect(cert(join(out, "clients/a.crt")).verify(ca.publicKey)).to.equal(true);
    expect(ca.checkPrivateKey(createPrivateKey(readFileSync(join(out, "ca.key"))))).to.equal(true);
  });

  it("rejects client names that would escape the clients directory", async () => {
    const error = await rejection(generatePki({ dir: dir.path, clients: [{ name: "../evil", role: "admin" }] }));
    expect(error.message).to.match(/invalid client name/);
    expect(existsSync(join(dir.path, "ca.crt"))).to.equal(false);
  });

  it("issue-client adds a certificate from the existing CA and appends to the config, keeping the rest", async () => {
    const out = join(dir.path, "pki");
    const pki = await generatePki({ dir: out, clients: [{ name: "admin", role: "admin" }, { name: "alice", role: "user" }] });
    // A hand edit the appending must not lose.
    const configPath = pki.configPath!;
    writeFileSync(configPath, `# my jobctl config\n${readFileSync(configPath, "utf8")}`);

    const issued = await issueClient({ dir: out, name: "carol", role: "readonly", configPath });
    expect(issued.configPath).to.equal(configPath);
    expect(cert(issued.certPath).checkIssued(cert(pki.caPath))).to.equal(true);
    expect(role(issued.certPath)).to.equal("readonly");
    expect(mode(issued.keyPath)).to.equal(0o600);

    const text = readFileSync(configPath, "utf8");
    expect(text).to.match(/^# my jobctl config\n/);
    const config = parse(text);
    expect(config.users).to.deep.equal([
      { name: "admin", user: { "client-certificate": "clients/admin.crt", "client-key": "clients/admin.key" } },
      { name: "alice", user: { "client-certificate": "clients/alice.crt", "client-key": "clients/alice.key" } },
      { name: "carol", user: { "client-certificate": "clients/carol.crt", "client-key": "clients/carol.key" } },
    ]);
    expect(config.contexts.map((c: { name: string }) => c.name)).to.deep.equal(["admin", "alice", "carol"]);
    expect(config.contexts[2]).to.deep.equal({ name: "carol", context: { cluster: "local", user: "carol" } });
    expect(config["current-context"]).to.equal("admin");
    expect(config.clusters).to.have.length(1);
    expect(mode(configPath)).to.equal(0o600);

    // Re-issuing needs force, and then replaces the entry rather than duplicating it.
    expect(await rejection(issueClient({ dir: out, name: "carol", role: "user", configPath }))).to.be.instanceOf(AlreadyExistsError);
    await issueClient({ dir: out, name: "carol", role: "user", configPath, force: true });
    expect(role(issued.certPath)).to.equal("user");
    expect(parse(readFileSync(configPath, "utf8")).users).to.have.length(3);
  });

  it("issue-client writes absolute paths into a config outside the PKI directory, and skips a missing config", async () => {
    const out = join(dir.path, "pki");
    const outside = join(dir.path, "home", "jobctl.yaml");
    const pki = await generatePki({ dir: out, clients: [{ name: "admin", role: "admin" }], configPath: outside });
    const config = parse(readFileSync(outside, "utf8"));
    expect(config.clusters[0].cluster["certificate-authority"]).to.equal(pki.caPath);

    await issueClient({ dir: out, name: "dave", role: "user", configPath: outside });
    const users = parse(readFileSync(outside, "utf8")).users;
    expect(users[1]).to.deep.equal({ name: "dave", user: { "client-certificate": join(out, "clients/dave.crt"), "client-key": join(out, "clients/dave.key") } });

    const skipped = await issueClient({ dir: out, name: "erin", role: "user", configPath: join(dir.path, "none.yaml") });
    expect(skipped.configPath).to.equal(undefined);
    expect(existsSync(join(dir.path, "none.yaml"))).to.equal(false);
  });

  it("issue-client fails clearly without a CA", async () => {
    expect((await rejection(issueClient({ dir: dir.path, name: "x", role: "user" }))).message).to.match(/reading CA certificate/);
  });

  describe("ensureDevPki (the agent's first start)", () => {
    it("creates a CA, server certificate, four identities and a jobctl config", async () => {
      const jobctlConfigPath = join(dir.path, "home", ".config", "jobctl", "config");
      const pki = await ensureDevPki({ dir: join(dir.path, "pki"), jobctlConfigPath, server: "localhost:5000" });
      expect(pki.created).to.equal(true);
      expect(pki.wroteConfig).to.equal(true);
      expect(Object.fromEntries(Object.entries(pki.clients).map(([n, c]) => [n, c.role]))).to.deep.equal({
        admin: "admin",
        alice: "user",
        bob: "user",
        viewer: "readonly",
      });
      for (const [name, c] of Object.entries(pki.clients)) {
        expect(role(c.certPath)).to.equal(c.role);
        expect(cert(c.certPath).subject).to.equal(`CN=${name}`);
      }
      expect(cert(pki.certPath).checkIssued(cert(pki.caPath))).to.equal(true);
      const config = parse(readFileSync(jobctlConfigPath, "utf8"));
      expect(config.contexts.map((c: { name: string }) => c.name)).to.deep.equal(["admin", "alice", "bob", "viewer"]);
      expect(config["current-context"]).to.equal("admin");
      expect(config.users[0].user["client-key"]).to.equal(pki.clients.admin!.keyPath); // absolute: outside the config's directory
      expect(mode(jobctlConfigPath)).to.equal(0o600);
      expect(existsSync(join(dir.path, "pki", "jobctl.yaml"))).to.equal(false);
    });

    it("reuses an existing PKI and never replaces an existing jobctl config", async () => {
      const jobctlConfigPath = join(dir.path, "jobctl.yaml");
      writeFileSync(jobctlConfigPath, "# mine\n");
      const first = await ensureDevPki({ dir: join(dir.path, "pki"), jobctlConfigPath, server: "localhost:5000" });
      expect(first.wroteConfig).to.equal(false);
      expect(readFileSync(jobctlConfigPath, "utf8")).to.equal("# mine\n");

      const caBefore = readFileSync(first.caPath, "utf8");
      const serverBefore = readFileSync(first.certPath, "utf8");
      const second = await ensureDevPki({ dir: join(dir.path, "pki"), jobctlConfigPath, server: "localhost:5000" });
      expect(second.created).to.equal(false);
      expect(second.wroteConfig).to.equal(false);
      expect(readFileSync(second.caPath, "utf8")).to.equal(caBefore);
      expect(readFileSync(second.certPath, "utf8")).to.equal(serverBefore);
      expect(second.clients).to.deep.equal(first.clients);
      expect(readFileSync(jobctlConfigPath, "utf8")).to.equal("# mine\n");
    });

    it("re-issues a missing server certificate from the existing CA, and writes a missing config", async () => {
      const pkiDir = join(dir.path, "pki");
      const first = await ensureDevPki({ dir: pkiDir, jobctlConfigPath: join(dir.path, "a.yaml"), server: "localhost:5000" });
      rmSync(first.certPath);
      const second = await ensureDevPki({ dir: pkiDir, jobctlConfigPath: join(dir.path, "b.yaml"), server: "agent1:5000" });
      expect(second.created).to.equal(false);
      expect(second.wroteConfig).to.equal(true);
      expect(cert(second.certPath).checkIssued(cert(first.caPath))).to.equal(true);
      expect(cert(second.certPath).checkHost("agent1")).to.equal("agent1");
      expect(parse(readFileSync(join(dir.path, "b.yaml"), "utf8")).clusters[0].cluster.server).to.equal("agent1:5000");
    });
  });

  it("hostOf takes the host out of an address", () => {
    expect(hostOf("localhost:5000")).to.equal("localhost");
    expect(hostOf("[::1]:5000")).to.equal("::1");
    expect(hostOf("fd00::1")).to.equal("fd00::1");
    expect(hostOf("agent")).to.equal("agent");
    expect(hostOf("0.0.0.0:5000")).to.equal(undefined);
    expect(hostOf("[::]:5000")).to.equal(undefined);
    expect(hostOf(":5000")).to.equal(undefined);
  });
});
