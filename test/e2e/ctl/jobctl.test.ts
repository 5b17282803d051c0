// jobctl end to end: the compiled CLI against the real jobagent (mutual TLS
// 1.3 on loopback, the agent's freshly generated development PKI), with the
// jobctl config the agent wrote, one context per role.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, type TestAgent } from "../../helpers/agent.js";
import { sleep } from "../../helpers/tmp.js";
import { JOBCTL_MAIN, runJobctl, type JobctlRun } from "../../helpers/run-jobctl.js";

const UUID_LINE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n$/;

describe("jobctl end to end (real agent, mTLS on loopback)", function () {
  let agent: TestAgent;
  let configPath: string;

  before(async () => {
    agent = await startTestAgent();
    configPath = agent.jobctlConfigPath; // written by the agent with the port it bound
  });
  after(async () => {
    await agent.stop();
    agent.cleanup();
  });

  const jobctl = (context: string, args: string[], timeoutMs?: number) =>
    runJobctl(["--config", configPath, "--context", context, ...args], { timeoutMs, env: { JOBCTL_CONFIG: undefined } });

  function expectOk(run: JobctlRun): void {
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.equal("");
  }

  function expectFailure(run: JobctlRun, code: number, pattern: RegExp): void {
    expect(run.code, run.stderr).to.equal(code);
    expect(run.stdout).to.equal("");
    expect(run.stderr.split("\n")).to.have.length(2); // one line and its newline
    expect(run.stderr).to.match(pattern);
  }

  async function start(context: string, command: string[], flags: string[] = []): Promise<string> {
    const run = await jobctl(context, ["start", ...flags, "--", ...command]);
    expectOk(run);
    expect(run.stdout).to.match(UUID_LINE); // the id and nothing else
    return run.stdout.trim();
  }

  /** The "Key: value" lines of jobctl status, as a record. */
  async function status(context: string, args: string[]): Promise<Record<string, string>> {
    const run = await jobctl(context, args);
    expectOk(run);
    return Object.fromEntries(run.stdout.trimEnd().split("\n").map((line) => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    }));
  }

  /** Waits until the job has ended: logs -f returns when it has. */
  async function waitEnded(context: string, id: string): Promise<void> {
    expectOk(await jobctl(context, ["logs", "-f", id]));
  }

  it("start prints the id; status (and seed 000's query -j) shows it", async () => {
    const id = await start("alice", ["sh", "-c", "echo hello; exit 3"]);
    await waitEnded("alice", id);
    const shown = await status("alice", ["status", id]);
    expect(shown).to.deep.include({
      ID: id,
      Command: "sh -c 'echo hello; exit 3'",
      Owner: "alice",
      Status: "EXITED",
      Reason: "Error",
      "Exit Code": "3",
      Signal: "-",
      Output: "6 bytes",
    });
    expect(shown.Started).to.match(/^\d{4}-\d\d-\d\dT.*Z \(\d+s ago\)$/);
    expect(shown.Ended).to.match(/^\d{4}-\d\d-\d\dT.*Z \(\d+s ago\)$/);
    // The same rendering, but for the relative ages, which change when a second passes between the two calls.
    const absolute = (fields: Record<string, string>) =>
      Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.replace(/ \(\d+[smhd] ago\)$/, "")]));
    expect(absolute(await status("alice", ["query", "-j", id]))).to.deep.equal(absolute(shown));
  });

  it("logs prints what has been captured and returns, even while the job runs", async () => {
    const id = await start("alice", ["sh", "-c", "echo first; sleep 600"]);
    // Poll until the first line has been captured; each call must return at once.
    let run = await jobctl("alice", ["logs", id], 10_000);
    for (let tries = 0; run.stdout === "" && tries < 100; tries++) {
      await sleep(50);
      run = await jobctl("alice", ["logs", id], 10_000);
    }
    expectOk(run);
    expect(run.stdout).to.equal("first\n");
    expect((await jobctl("alice", ["logs", "--offset", "2", id])).stdout).to.equal("rst\n");
    expectOk(await jobctl("alice", ["stop", id, "--grace", "0"]));
  });

  it("logs -f, stream and stream -j follow the output until the job ends", async () => {
    const id = await start("bob", ["sh", "-c", "echo one; sleep 1; echo two"]);
    const [followed, streamed, streamedJ] = await Promise.all([
      jobctl("bob", ["logs", "-f", id]),
      jobctl("bob", ["stream", id]),
      jobctl("bob", ["stream", "-j", id]),
    ]);
    for (const run of [followed, streamed, streamedJ]) {
      expectOk(run);
      expect(run.stdout).to.equal("one\ntwo\n");
    }
  });

  it("logs of a job writing binary bytes are byte-identical", async () => {
    // Every byte value, then random bytes: nothing may be decoded or re-encoded on the way.
    const expected = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(512 * 1024)]);
    const file = join(agent.stateDir, "binary.bin");
    writeFileSync(file, expected);
    const id = await start("alice", ["cat", file]);
    const followed = await jobctl("alice", ["logs", "-f", id]);
    expectOk(followed);
    expect(followed.stdoutBytes.equals(expected), "logs -f output differs").to.equal(true);
    const captured = await jobctl("alice", ["logs", id]);
    expect(captured.stdoutBytes.equals(expected), "logs output differs").to.equal(true);
  });

  it("logs -f stops quietly when its reader goes away (| head)", async () => {
    const id = await start("alice", ["sh", "-c", "while :; do echo tick; sleep 0.05; done"]);
    const child = spawn(process.execPath, [JOBCTL_MAIN, "--config", configPath, "--context", "alice", "logs", "-f", id], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    await new Promise((resolve) => child.stdout.once("data", resolve));
    child.stdout.destroy(); // the reader is gone: the next write gets EPIPE
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    expect(await exited).to.equal(0);
    clearTimeout(timer);
    expect(stderr).to.equal("");
    expectOk(await jobctl("alice", ["stop", id, "--grace", "0"]));
  });

  it("list shows a table of the jobs the caller may see", async () => {
    const id = await start("admin", ["sleep", "600"]);
    const mine = await jobctl("admin", ["list"]);
    expectOk(mine);
    const lines = mine.stdout.trimEnd().split("\n");
    expect(lines[0]).to.match(/^ID {37}OWNER +STATUS +REASON +AGE +COMMAND$/);
    expect(lines.find((line) => line.startsWith(id))).to.match(new RegExp(`^${id} {3}admin +RUNNING +- +\\d+s +sleep 600$`));
    // Users see their own jobs only; admins and readonly viewers see all.
    expect((await jobctl("alice", ["list"])).stdout).not.to.include(id);
    expect((await jobctl("viewer", ["list"])).stdout).to.include(id);
    expectOk(await jobctl("admin", ["stop", id, "--grace", "0"]));
  });

  it("stop ends a job (positional and seed 000's -j), waiting for it", async () => {
    const killed = await start("alice", ["sleep", "600"]);
    const run = await jobctl("alice", ["stop", killed, "--grace", "0"]);
    expectOk(run);
    expect(run.stdout).to.equal(`${killed} stopped\n`);
    expect(await status("alice", ["status", killed])).to.deep.include({ Status: "STOPPED", Signal: "SIGKILL", Reason: "Stopped" });

    const termed = await start("alice", ["sleep", "600"], ["--grace", "5s"]);
    const byJ = await jobctl("alice", ["stop", "-j", termed]);
    expectOk(byJ);
    expect(byJ.stdout).to.equal(`${termed} stopped\n`);
    expect(await status("alice", ["status", termed])).to.deep.include({ Status: "STOPPED", Signal: "SIGTERM" });

    const again = await jobctl("alice", ["stop", termed]);
    expectOk(again);
    expect(again.stdout).to.equal(`${termed} stopped\n`);
  });

  describe("exit codes from the agent's answers", () => {
    it("3: a readonly viewer may not start jobs (PERMISSION_DENIED)", async () => {
      expectFailure(await jobctl("viewer", ["start", "--", "true"]), 3, /^error: PERMISSION_DENIED: .+/);
    });

    it("4: bob cannot see alice's job (NOT_FOUND)", async () => {
      const id = await start("alice", ["true"]);
      expectFailure(await jobctl("bob", ["status", id]), 4, new RegExp(`^error: NOT_FOUND: .*${id}`));
      expectFailure(await jobctl("bob", ["stop", "-j", id]), 4, /^error: NOT_FOUND: /);
      expectFailure(await jobctl("bob", ["logs", id]), 4, /^error: NOT_FOUND: /);
    });

    it("2: the agent rejects a grace period over its limit (INVALID_ARGUMENT)", async () => {
      expectFailure(await jobctl("alice", ["start", "--grace", "2h", "--", "true"]), 2, /^error: INVALID_ARGUMENT: gracePeriodMs/);
    });

    it("1: no agent listening (UNAVAILABLE), promptly", async () => {
      await agent.stop();
      const run = await jobctl("admin", ["list"]);
      expectFailure(run, 1, new RegExp(`^error: UNAVAILABLE: .*\\(agent at ${agent.address.replace(/\./g, "\\.")}\\)\n$`));
      expect(run.durationMs).to.be.below(10_000);
    });
  });
});

