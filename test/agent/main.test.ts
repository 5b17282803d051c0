// The jobagent command line (agent/main.ts), spawned: --validate,
// --print-config with flags > environment > file > defaults, --hash-password,
// and the refusal to start on an invalid file. (The file itself: config/load.test.ts.)
import { expect } from "chai";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { verifyPassword } from "../../agent/auth/passwords.js";
import { AGENT_MAIN } from "../helpers/agent.js";
import { tempDir } from "../helpers/tmp.js";

const run = promisify(execFile);
const HEADER = "apiVersion: jobworker/v1\nkind: AgentConfig\n";

describe("jobagent CLI", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());
  const jobagent = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [AGENT_MAIN, ...args], { env: { PATH: process.env.PATH!, HOME: dir.path, ...env } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it("--validate: exit 0 for a valid file, 2 with every error for a broken one", async () => {
    const good = join(dir.path, "good.yaml");
    writeFileSync(good, HEADER + "listen: 127.0.0.1:6000\n");
    expect(await jobagent(["--config", good, "--validate"])).to.include({ code: 0, stdout: `${good}: valid\n` });
    const bad = join(dir.path, "bad.yaml");
    writeFileSync(bad, HEADER + "colour: blue\njobs:\n  outputCap: lots\n");
    const result = await jobagent(["--config", bad, "--validate"]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include("2 problem(s)");
    expect(result.stderr).to.match(/line 3: \/colour: unknown key/);
    expect(result.stderr).to.match(/line 5: \/jobs\/outputCap: got "lots"/);
  });

  it("--validate of a job spec file (kind: Job): exit 0 naming its specs, 2 with every error", async () => {
    const good = join(dir.path, "web.yaml");
    writeFileSync(good, "apiVersion: jobworker/v1\nkind: Job\nmetadata: {name: web}\nspec: {command: /bin/true}\n");
    expect(await jobagent(["--config", good, "--validate"])).to.include({ code: 0, stdout: `${good}: valid (job spec web)\n` });
    const bad = join(dir.path, "bad.yaml");
    writeFileSync(bad, "apiVersion: jobworker/v1\nkind: Job\nmetadata: {name: web}\nspec:\n  command: /bin/true\n  restartPolicy: Sometimes\n");
    const result = await jobagent(["--config", bad, "--validate"]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/invalid job spec .*bad\.yaml: 1 problem/).and.match(/line 6: \/spec\/restartPolicy: got "Sometimes"/);
  });

  it("--print-config: defaults filled in; flags > environment > file", async () => {
    const file = join(dir.path, "agent.yaml");
    writeFileSync(file, HEADER + "listen: 127.0.0.1:6001\nlogLevel: warn\nstateDir: /srv/from-file\n");
    const fromFile = parse((await jobagent(["--config", file, "--print-config"])).stdout);
    expect(fromFile).to.deep.include({ listen: "127.0.0.1:6001", logLevel: "warn", stateDir: "/srv/from-file" });
    expect(fromFile.jobs.defaultGracePeriod).to.equal("10s");
    expect(fromFile.tls.cipherSuites).to.deep.equal(["TLS_AES_256_GCM_SHA384"]);

    const env = { JOBAGENT_CONFIG: file, JOBAGENT_LISTEN: "127.0.0.1:6002", JOBAGENT_LOG_LEVEL: "debug" };
    const fromEnv = parse((await jobagent(["--print-config"], env)).stdout);
    expect(fromEnv).to.deep.include({ listen: "127.0.0.1:6002", logLevel: "debug", stateDir: "/srv/from-file" });

    const fromFlags = parse((await jobagent(["--print-config", "--listen", "127.0.0.1:6003"], env)).stdout);
    expect(fromFlags.listen).to.equal("127.0.0.1:6003");
  });

  it("refuses to start on an invalid file, with exit code 2", async () => {
    const bad = join(dir.path, "bad.yaml");
    writeFileSync(bad, "kind: AgentConfig\n");
    const result = await jobagent(["--config", bad]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/missing required key "apiVersion"/);
  });

  it("--hash-password: an scrypt hash of one line from stdin, which verifies", async () => {
    const child = execFile(process.execPath, [AGENT_MAIN, "--hash-password"]);
    child.stdin!.end("s3cret pass\n");
    const hash = await new Promise<string>((resolve) => {
      let out = "";
      child.stdout!.on("data", (d) => (out += d));
      child.on("close", () => resolve(out.trim()));
    });
    expect(hash).to.match(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword("s3cret pass", hash)).to.equal(true);
    expect(await verifyPassword("s3cret pas", hash)).to.equal(false);
  });

  it("the printed defaults are themselves a valid configuration", async () => {
    const printed = join(dir.path, "printed.yaml");
    writeFileSync(printed, (await jobagent(["--print-config"])).stdout);
    expect((await jobagent(["--config", printed, "--validate"])).code).to.equal(0);
    expect(readFileSync(printed, "utf8")).to.match(/^apiVersion: jobworker\/v1\nkind: AgentConfig\n/);
  });
});
