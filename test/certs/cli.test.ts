// The certs CLI as users run it: `node dist/certs/main.js ...` (npm run certs -- ...).
import { expect } from "chai";
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { readCertificateRole } from "../../common/certificate-role.js";
import { tempDir } from "../helpers/tmp.js";

const CERTS_MAIN = fileURLToPath(new URL("../../certs/main.js", import.meta.url));

function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CERTS_MAIN, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const roleOf = (path: string) => readCertificateRole(new X509Certificate(readFileSync(path)).raw);

describe("certs CLI", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());

  it("with no arguments runs init: ./pki with admin, alice, bob and viewer, and says what it wrote", async () => {
    const { code, stdout, stderr } = await run([], dir.path);
    expect(stderr).to.equal("");
    expect(code).to.equal(0);
    const pki = join(dir.path, "pki");
    for (const file of ["ca.crt", "ca.key", "server.crt", "server.key", "jobctl.yaml"]) expect(stdout).to.include(join("pki", file));
    expect(roleOf(join(pki, "clients/admin.crt"))).to.equal("admin");
    expect(roleOf(join(pki, "clients/bob.crt"))).to.equal("user");
    expect(roleOf(join(pki, "clients/viewer.crt"))).to.equal("readonly");
    expect(parse(readFileSync(join(pki, "jobctl.yaml"), "utf8"))["current-context"]).to.equal("admin");
  });

  it("init takes --out, --server-name, --client, --server and --config", async () => {
    const args = ["init", "--out", "o", "--server-name", "agent1.example.com", "--server-name", "10.0.0.7"];
    args.push("--client", "ops:full", "--client", "ci:user", "--server", "agent1.example.com:7000", "--config", "c/jobctl.yaml");
    const { code } = await run(args, dir.path);
    expect(code).to.equal(0);
    const server = new X509Certificate(readFileSync(join(dir.path, "o/server.crt")));
    expect(server.checkHost("agent1.example.com")).to.equal("agent1.example.com");
    expect(server.checkIP("10.0.0.7")).to.equal("10.0.0.7");
    expect(roleOf(join(dir.path, "o/clients/ops.crt"))).to.equal("full");
    const config = parse(readFileSync(join(dir.path, "c/jobctl.yaml"), "utf8"));
    expect(config.clusters[0].cluster.server).to.equal("agent1.example.com:7000");
    expect(config.contexts.map((c: { name: string }) => c.name)).to.deep.equal(["ops", "ci"]);
    expect(existsSync(join(dir.path, "o/clients/admin.crt"))).to.equal(false);
  });

  it("exits 2 with a one-line error on an unknown role", async () => {
    for (const args of [["init", "--client", "eve:root"], ["issue-client", "eve", "--role", "root"]]) {
      const { code, stderr } = await run(args, dir.path);
      expect(code, args.join(" ")).to.equal(2);
      expect(stderr.trim().split("\n"), stderr).to.have.length(1);
      expect(stderr).to.match(/root/).and.match(/admin, full, user, readonly/);
    }
    expect(existsSync(join(dir.path, "pki"))).to.equal(false);
  });

  it("issue-client adds a client to an existing PKI and its config", async () => {
    expect((await run([], dir.path)).code).to.equal(0);
    const { code, stdout } = await run(["issue-client", "carol", "--role", "readonly", "--days", "30"], dir.path);
    expect(code).to.equal(0);
    expect(stdout).to.include(join("pki", "clients", "carol.crt")).and.include("jobctl.yaml");
    const cert = new X509Certificate(readFileSync(join(dir.path, "pki/clients/carol.crt")));
    expect(readCertificateRole(cert.raw)).to.equal("readonly");
    expect((Date.parse(cert.validTo) - Date.now()) / 86_400_000).to.be.within(29, 31);
    const config = parse(readFileSync(join(dir.path, "pki/jobctl.yaml"), "utf8"));
    expect(config.users.map((u: { name: string }) => u.name)).to.deep.equal(["admin", "alice", "bob", "viewer", "carol"]);
  });

  it("fails with one line and a non-zero exit when it would replace a CA, or has none", async () => {
    expect((await run([], dir.path)).code).to.equal(0);
    const again = await run([], dir.path);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/^certs: error: .*ca\.crt already exists; use --force to replace it\n$/);
    expect((await run(["--force"], dir.path)).code).to.equal(0);

    const noCa = await run(["issue-client", "x", "--role", "user", "--dir", "elsewhere"], dir.path);
    expect(noCa.code).to.equal(1);
    expect(noCa.stderr).to.match(/^certs: error: reading CA certificate elsewhere\/ca\.crt: [^\n]*\n$/);
  });
});
