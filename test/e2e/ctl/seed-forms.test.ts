// The seeds' command lines against the real agent: seed 000's `start <command>
// -args ...` and `-j`, seed 003's `login -u -p`, `-t <JWT>`, `-c <command>`.
import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { devPasswords, startTestAgent, type TestAgent } from "../../helpers/agent.js";
import { runJobctl } from "../../helpers/run-jobctl.js";

const UUID_LINE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n$/;

describe("the seeds' jobctl forms against a real agent", function () {
  let agent: TestAgent;
  let passwords: Record<string, string>;
  before(async () => {
    agent = await startTestAgent();
    passwords = devPasswords(agent);
  });
  after(async () => {
    await agent.stop();
    agent.cleanup();
  });
  const jobctl = (args: string[]) => runJobctl(["--config", agent.jobctlConfigPath, ...args], { env: { JOBCTL_CONFIG: undefined } });
  const ok = async (args: string[]) => {
    const run = await jobctl(args);
    expect(run.code, run.stderr).to.equal(0);
    return run.stdout;
  };

  it("seed 000: start <command> -args <arg1> <arg2>, then query and stream -j", async () => {
    const started = await ok(["--context", "alice", "start", "echo", "-args", "hello", "-n", "world"]);
    expect(started).to.match(UUID_LINE);
    const id = started.trim();
    expect(await ok(["--context", "alice", "stream", "-j", id])).to.equal("hello -n world\n");
    expect(await ok(["--context", "alice", "query", "-j", id])).to.match(/Status:\s+EXITED/);
  });

  it("seed 003: login -u -p --print-token, then start -t JWT -c <command> -args, stream -t -j and stop -t -j act as that user", async () => {
    const token = (await ok(["--context", "bob", "login", "-u", "alice", "-p", passwords.alice, "--print-token"])).trim();
    expect(token.split(".")).to.have.length(3);
    // From bob's certificate, with alice's token: the job is alice's.
    const id = (await ok(["--context", "bob", "start", "-t", token, "-c", "sh", "-args", "-c", "echo started; exec sleep 600"])).trim();
    expect(await ok(["--context", "alice", "query", "-j", id])).to.match(/Owner:\s+alice/);
    const bobSees = await jobctl(["--context", "bob", "query", "-j", id]);
    expect(bobSees.code).to.equal(4); // bob's own token-less identity cannot see alice's job
    await ok(["--context", "bob", "stop", "-t", token, "-j", id]);
    expect(await ok(["--context", "bob", "stream", "-t", token, "-j", id])).to.equal("started\n");
  });

  /** Seed 000's flat client config for alice, with paths relative to the file (in the state directory). */
  function writeFlatConfig(name = "seed-client.yaml"): string {
    const path = join(agent.stateDir, name);
    writeFileSync(
      path,
      `serverAddress: "${agent.address}"\nserverCA: "pki/ca.crt"\nclientCertificate: "pki/clients/alice.crt"\nclientKey: "pki/clients/alice.key"\n`,
    );
    return path;
  }
  const flat = (path: string, args: string[]) => runJobctl(["--config", path, ...args], { env: { JOBCTL_CONFIG: undefined } });

  it("seed 000's flat client config (serverAddress, serverCA, clientCertificate, clientKey) works as --config: start, stream -j, query -j", async () => {
    const path = writeFlatConfig();
    const started = await flat(path, ["start", "echo", "-args", "from", "the", "seed"]);
    expect(started.code, started.stderr).to.equal(0);
    const id = started.stdout.trim();
    const streamed = await flat(path, ["stream", "-j", id]);
    expect(streamed.stdout, streamed.stderr).to.equal("from the seed\n");
    const queried = await flat(path, ["query", "-j", id]);
    expect(queried.stdout).to.match(/Owner:\s+alice/);
  });

  it("a flat config is never edited (login's token would not fit): exit 2 naming jobctl config import; import makes a context that works", async () => {
    const path = writeFlatConfig();
    const before = readFileSync(path, "utf8");
    const refused = await flat(path, ["login", "-u", "alice", "-p", passwords.alice]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include(`jobctl config import ${path}`);
    expect(readFileSync(path, "utf8")).to.equal(before);

    const target = join(agent.stateDir, "imported.yaml");
    const imported = await runJobctl(["--config", target, "config", "import", path, "--name", "lab"], { env: { JOBCTL_CONFIG: undefined } });
    expect(imported.code, imported.stderr).to.equal(0);
    const written = parse(readFileSync(target, "utf8"));
    expect(written["current-context"]).to.equal("lab");
    expect(written.users[0].user["client-key"]).to.equal(join(agent.stateDir, "pki/clients/alice.key")); // absolute now
    expect((await flat(target, ["login", "-u", "alice", "-p", passwords.alice])).code).to.equal(0);
    const started = await flat(target, ["start", "--", "true"]);
    expect(started.code, started.stderr).to.equal(0);
    const again = await runJobctl(["--config", target, "config", "import", path, "--name", "lab"], { env: { JOBCTL_CONFIG: undefined } });
    expect(again.code).to.equal(2);
    expect(again.stderr).to.match(/"lab" already exists/);
  });

  it("-t with a token the agent did not issue is refused (exit 3): the given token is what is sent", async () => {
    const run = await jobctl(["--context", "alice", "start", "-t", "not.a.token", "-c", "true"]);
    expect(run.code).to.equal(3);
    expect(run.stderr).to.match(/UNAUTHENTICATED/);
  });
});
