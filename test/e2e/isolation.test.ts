// With the agent as root, each job runs as a uid of its own: the kernel, not
// only the API, keeps jobs apart. A job tries everything against another job
// (of another owner, and of the same owner) and against the agent's files.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { StartResponse__Output } from "../../proto/generated/workerservice/StartResponse.js";
import { AGENT_MAIN, startTestAgent, type TestAgent } from "../helpers/agent.js";
import { call, filesFor, readOutput, workerClient } from "../helpers/client.js";
import { isAlive } from "../helpers/proc.js";
import { ALL_REFUSED, attackScript, buildPoke, readScript } from "../helpers/poke.js";
import { tempDir } from "../helpers/tmp.js";

describe("jobs are kept apart by the kernel (a uid per job)", function () {
  let agent: TestAgent;
  let tools: ReturnType<typeof buildPoke>;
  before(async function () {
    if (process.getuid?.() !== 0) this.skip();
    tools = buildPoke();
    agent = await startTestAgent();
  });
  after(async () => {
    await agent?.stop("SIGKILL");
    agent?.cleanup();
    tools?.cleanup();
  });

  const client = (who: string) => workerClient(agent.address, filesFor(agent.pkiDir, who));
  const start = (who: string, commandName: string, args: string[]) =>
    call<object, StartResponse__Output>(client(who), "Start", { commandName, arguments: args });
  const status = (who: string, jobID: Buffer) => call<object, QueryStatusResponse__Output>(client(who), "QueryStatus", { jobID });
  const run = async (who: string, script: string) => {
    const { jobID } = await start(who, "sh", ["-c", script]);
    return (await readOutput(client(who), { jobID })).toString();
  };

  it("gives every job a uid and gid of its own from the range, never a shared or system one", async () => {
    const ids = await Promise.all([run("alice", "id -u; id -g; id -G"), run("alice", "id -u"), run("bob", "id -u")]);
    const [uid, gid, groups] = ids[0].trim().split("\n").map(Number);
    expect(uid).to.be.within(70000, 79999);
    expect(gid).to.equal(uid);
    expect(groups).to.equal(uid); // no supplementary groups
    expect(new Set([uid, Number(ids[1]), Number(ids[2])]).size).to.equal(3);
  });

  it("two agents on one host with the same uid range: the second skips every uid the first's jobs hold (17, more than a start's 16 tries), and a job ending on one leaves the other's running", async () => {
    // Both fresh, so both pools begin at the bottom of the range.
    const [first, second] = [await startTestAgent(), await startTestAgent()];
    const [one, two] = [first, second].map((a) => workerClient(a.address, filesFor(a.pkiDir, "alice")));
    const startOn = (c: typeof one) => call<object, StartResponse__Output>(c, "Start", { commandName: "sleep", arguments: ["600"] });
    const statusOn = (c: typeof one, jobID: Buffer) => call<object, QueryStatusResponse__Output>(c, "QueryStatus", { jobID });
    try {
      const held: StartResponse__Output[] = [];
      for (let i = 0; i < 17; i++) held.push(await startOn(one));
      const heldUids = new Set(await Promise.all(held.map(async (job) => (await statusOn(one, job.jobID)).uid)));
      const theirs = await startOn(two);
      const theirUid = (await statusOn(two, theirs.jobID)).uid;
      expect(theirUid).to.be.within(70000, 79999);
      expect(heldUids.has(theirUid), `uid ${theirUid} is one of the first agent's`).to.equal(false);
      // Ending a job kills everything running as its uid: nothing of the other agent's.
      await call(one, "Stop", { jobID: held[0]!.jobID, gracePeriodMs: 0 });
      const after = await statusOn(two, theirs.jobID);
      expect(after.JobStatus).to.equal("RUNNING");
      expect(isAlive(after.pid)).to.equal(true);
    } finally {
      one.close();
      two.close();
      for (const a of [first, second]) {
        await a.stop("SIGKILL");
        a.cleanup();
      }
    }
  });

  it("runs jobs with no_new_privs (a setuid binary one job leaves gives a later job nothing) and no signal ignored", async () => {
    const out = await run("alice", "grep -E '^(NoNewPrivs|SigIgn):' /proc/self/status");
    expect(out.split("\n").filter(Boolean).map((l) => l.replace(/\s+/g, " "))).to.deep.equal(["SigIgn: 0000000000000000", "NoNewPrivs: 1"]);
  });

  it("kills what a job left running under its uid when it ends, even a process that left its group (setsid)", async () => {
    const out = await run("alice", "setsid sh -c 'echo $$ > escaped; exec sleep 1000' & while [ ! -s escaped ]; do sleep 0.01; done; cat escaped");
    const escaped = out.trim().split("\n").map(Number);
    expect(escaped.length).to.be.greaterThan(0);
    for (const pid of escaped) expect(isAlive(pid), `pid ${pid}`).to.equal(false);
  });

  for (const victimOwner of ["bob", "alice"]) {
    it(`alice's job cannot kill, ptrace, read the environment or working directory of, or inject output into ${victimOwner}'s job`, async () => {
      const victim = await start(victimOwner, "sh", ["-c", "echo victim; exec sleep 1000"]);
      const { pid, id } = await status(victimOwner, victim.jobID);
      const out = await run("alice", attackScript(tools.path, pid, join(agent.stateDir, "jobs", id, "work")));
      expect(out.trim().split("\n")).to.deep.equal(ALL_REFUSED);
      expect(isAlive(pid)).to.equal(true);
      expect((await readOutput(client(victimOwner), { jobID: victim.jobID, noFollow: true })).toString()).to.equal("victim\n");
      await call(client(victimOwner), "Stop", { jobID: victim.jobID, gracePeriodMs: 0 });
    });
  }

  it("a job cannot read any job's output, record or monitor files, list the jobs, or read the agent's keys", async () => {
    const other = await start("bob", "echo", ["secret"]);
    const { id } = await status("bob", other.jobID);
    await readOutput(client("bob"), { jobID: other.jobID });
    const dir = join(agent.stateDir, "jobs", id);
    const paths = [join(dir, "output"), join(dir, "job.json"), join(dir, "monitor"), join(dir, "exit"), join(agent.pkiDir, "server.key"), join(agent.pkiDir, "ca.key"), join(agent.stateDir, "auth", "jwt.key")];
    const out = await run("alice", readScript(tools.path, paths, join(agent.stateDir, "jobs")));
    expect(out.trim().split("\n")).to.deep.equal([...paths.map(() => "read: EACCES"), "list: denied"]);
    expect(readFileSync(join(dir, "output"), "utf8")).to.equal("secret\n");
  });
});

describe("job users can reach their working directories (agent as root)", function () {
  before(function () {
    if (process.getuid?.() !== 0) this.skip();
  });

  it("under umask 077 the agent still sets its own modes, and jobs run in their work directories", async () => {
    const old = process.umask(0o077); // inherited by the agent, spawned synchronously below
    let agent: TestAgent | undefined;
    try {
      agent = await startTestAgent();
    } finally {
      process.umask(old);
    }
    try {
      const client = workerClient(agent.address, filesFor(agent.pkiDir, "alice"));
      const { jobID } = await call<object, StartResponse__Output>(client, "Start", { commandName: "sh", arguments: ["-c", "touch made && ls"] });
      expect((await readOutput(client, { jobID })).toString()).to.equal("made\n");
      expect(await call(client, "QueryStatus", { jobID })).to.include({ JobStatus: "EXITED", exitCode: 0 });
      client.close();
    } finally {
      await agent.stop();
      agent.cleanup();
    }
  });

  it("refuses to start, naming the directory, when a directory above the state directory keeps jobs out", async () => {
    const parent = tempDir(); // mkdtemp: mode 0700
    try {
      const child = spawn(process.execPath, [AGENT_MAIN, "--listen", "127.0.0.1:0", "--metrics-listen", "", "--state-dir", join(parent.path, "state")], { stdio: ["ignore", "pipe", "inherit"] });
      let log = "";
      child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
      expect(await new Promise((resolve) => child.once("exit", resolve))).to.equal(1);
      expect(log).to.include(`jobs cannot reach their working directories: ${parent.path}`).and.include("is mode 0700");
    } finally {
      parent.cleanup();
    }
  });
});
