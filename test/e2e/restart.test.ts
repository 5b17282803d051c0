// Jobs outlive the agent: restarts (SIGTERM) and crashes (SIGKILL) leave them
// running, the next agent on the state directory reattaches, and nothing of
// their output is lost or doubled.
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { StartResponse__Output } from "../../proto/generated/workerservice/StartResponse.js";
import { AGENT_MAIN, startTestAgent, type TestAgent } from "../helpers/agent.js";
import { call, filesFor, readOutput, workerClient } from "../helpers/client.js";
import { isAlive } from "../helpers/proc.js";
import { appears } from "../helpers/tmp.js";

/** seq 1 N, as the job prints it. */
const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\n`).join("");
const FIRST_HALF = lines(1, 20000);
/**
 * Prints the first half, then counts on (a line per number, as fast as it can) until ./go
 * appears (the test creates it after the restart), then prints "end" and idles until stopped:
 * the output is written all through the restart, and what it must be is known from its last number.
 */
const TWO_HALVES = "seq 1 20000; i=20000; while [ ! -e go ]; do i=$((i+1)); echo $i; [ $((i % 500)) -eq 0 ] && sleep 0.01; done; echo end; exec sleep 1000";
/** The whole output TWO_HALVES printed, given the reader's copy (whose last number says where it stopped). */
const expectedOutput = (text: string) => {
  const last = Number(/(\d+)\nend\n$/.exec(text)?.[1] ?? NaN);
  return `${lines(1, last)}end\n`;
};

/** A follower that survives the agent going away: it resumes from its offset on whichever agent it is pointed at next. */
class ResumingReader {
  readonly parts: Buffer[] = [];
  length = 0;
  private waiters: { bytes: number; resolve: () => void }[] = [];
  private ended?: () => void;
  readonly done = new Promise<void>((resolve) => (this.ended = resolve));

  constructor(private readonly jobID: Buffer) {}

  /** Reads from the current offset; resolves "end" when the job has ended, or "broken" when the agent went away. */
  follow(agent: TestAgent): Promise<"end" | "broken"> {
    const client = workerClient(agent.address, filesFor(agent.pkiDir, "admin"), { "jobworker.test.reader": Math.random() });
    return new Promise((resolve) => {
      const stream = client.GetOutput({ jobID: this.jobID, offset: this.length });
      stream.on("data", (message: { output: Buffer; offset: string }) => {
        expect(Number(message.offset)).to.equal(this.length); // each message says where it starts: nothing skipped or repeated
        this.parts.push(message.output);
        this.length += message.output.length;
        const ready = this.waiters.filter((w) => this.length >= w.bytes);
        this.waiters = this.waiters.filter((w) => this.length < w.bytes);
        for (const w of ready) w.resolve(); // after the reassignment: a waiter may add another
      });
      stream.on("error", (err: grpc.ServiceError) => {
        client.close();
        expect(err.code).to.be.oneOf([grpc.status.UNAVAILABLE, grpc.status.CANCELLED]);
        resolve("broken");
      });
      stream.on("end", () => {
        client.close();
        this.ended!();
        resolve("end");
      });
    });
  }

  has(bytes: number): Promise<void> {
    if (this.length >= bytes) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ bytes, resolve }));
  }

  /** Resolves once what was read so far ends with `tail` (only the last messages are looked at). */
  ends(tail: string): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (Buffer.concat(this.parts.slice(-2)).toString().endsWith(tail) ? resolve() : this.waiters.push({ bytes: this.length + 1, resolve: check }));
      check();
    });
  }

  text(): string {
    return Buffer.concat(this.parts).toString();
  }
}

describe("agent restart and crash", () => {
  let agent: TestAgent;
  afterEach(async () => {
    await agent.stop("SIGKILL");
    agent.cleanup();
  });

  const client = (a: TestAgent) => workerClient(a.address, filesFor(a.pkiDir, "admin"));
  const start = (a: TestAgent, commandName: string, args: string[]) =>
    call<object, StartResponse__Output>(client(a), "Start", { commandName, arguments: args });
  const status = (a: TestAgent, jobID: Buffer) => call<object, QueryStatusResponse__Output>(client(a), "QueryStatus", { jobID });
  const workDir = (a: TestAgent, id: string) => join(a.stateDir, "jobs", id, "work");

  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    it(`after ${signal} the job keeps running; the next agent reattaches; readers from before and after get the same bytes; Stop works`, async () => {
      agent = await startTestAgent();
      const started = await start(agent, "sh", ["-c", TWO_HALVES]);
      const before = await status(agent, started.jobID);
      expect(before).to.include({ JobStatus: "RUNNING" });

      const early = new ResumingReader(started.jobID);
      const broken = early.follow(agent);
      await early.has(FIRST_HALF.length);
      expect(await agent.stop(signal)).to.equal(signal === "SIGTERM" ? 0 : null);
      expect(await broken).to.equal("broken");
      expect(isAlive(before.pid)).to.equal(true);

      agent = await startTestAgent({ stateDir: agent.stateDir });
      const reattached = await status(agent, started.jobID);
      expect(reattached).to.include({ JobStatus: "RUNNING", pid: before.pid });
      expect(reattached.startTime).to.deep.equal(before.startTime);
      const late = new ResumingReader(started.jobID);
      const lateDone = late.follow(agent);
      const earlyDone = early.follow(agent);

      writeFileSync(join(workDir(agent, started.id), "go"), "");
      await late.ends("end\n");
      await early.ends("end\n");
      await call<object, object>(client(agent), "Stop", { jobID: started.jobID });
      expect(await lateDone).to.equal("end");
      expect(await earlyDone).to.equal("end");
      const whole = expectedOutput(late.text());
      expect(whole.length).to.be.greaterThan(FIRST_HALF.length + 8); // it wrote on through the restart
      expect(late.text()).to.equal(whole);
      expect(early.text()).to.equal(whole);
      expect(await status(agent, started.jobID)).to.include({ JobStatus: "STOPPED", reason: "Stopped", outputBytes: String(whole.length) });
      expect(isAlive(before.pid)).to.equal(false);
    }).timeout(60_000);
  }

  it("a job that ended while no agent ran is recorded with its real exit code and complete output", async () => {
    agent = await startTestAgent();
    const started = await start(agent, "sh", ["-c", "echo waiting; while [ ! -e go ]; do sleep 0.05; done; echo bye; exit 7"]);
    await agent.stop("SIGKILL");
    writeFileSync(join(workDir(agent, started.id), "go"), "");
    await appears(join(agent.stateDir, "jobs", started.id, "exit"));
    agent = await startTestAgent({ stateDir: agent.stateDir });
    expect(await status(agent, started.jobID)).to.include({ JobStatus: "EXITED", exitCode: 7, reason: "Error" });
    expect((await readOutput(client(agent), { jobID: started.jobID })).toString()).to.equal("waiting\nbye\n");
  });

  it("finished jobs keep their status and output across a crash", async () => {
    agent = await startTestAgent();
    const done = await start(agent, "sh", ["-c", "printf 'kept \\000 bytes'; exit 5"]);
    await readOutput(client(agent), { jobID: done.jobID });
    await agent.stop("SIGKILL");
    agent = await startTestAgent({ stateDir: agent.stateDir });
    expect(await status(agent, done.jobID)).to.include({ JobStatus: "EXITED", exitCode: 5, reason: "Error" });
    expect((await readOutput(client(agent), { jobID: done.jobID })).equals(Buffer.from("kept \0 bytes"))).to.equal(true);
  });

  it("a second agent on the same state directory refuses to start, and the first agent and its jobs are untouched", async () => {
    agent = await startTestAgent();
    const started = await start(agent, "sleep", ["1000"]);
    const { pid } = await status(agent, started.jobID);
    const second = spawn(process.execPath, [AGENT_MAIN, "--listen", "127.0.0.1:0", "--metrics-listen", "", "--state-dir", agent.stateDir], { stdio: ["ignore", "pipe", "inherit"] });
    let log = "";
    second.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
    const code = await new Promise((resolve) => second.once("exit", resolve));
    expect(code).to.equal(1);
    expect(log).to.include("one agent per state directory").and.include(`pid ${agent.pid}`);
    expect(isAlive(pid)).to.equal(true);
    expect(await status(agent, started.jobID)).to.include({ JobStatus: "RUNNING" });
  });

  it("a job whose monitor is killed is recorded Lost, and what was left of it is killed", async () => {
    agent = await startTestAgent();
    const started = await start(agent, "sleep", ["1000"]);
    const { pid } = await status(agent, started.jobID);
    const monitorPid = Number(/^monitor_pid=(\d+)$/m.exec(readFileSync(join(agent.stateDir, "jobs", started.id, "monitor"), "utf8"))![1]);
    process.kill(monitorPid, "SIGKILL");
    const final = await readOutput(client(agent), { jobID: started.jobID }).then(() => status(agent, started.jobID));
    expect(final).to.include({ JobStatus: "STOPPED", reason: "Lost" });
    expect(final.message).to.match(/monitor exited without recording how the job ended/);
    expect(isAlive(pid)).to.equal(false);
  });

  it("with --stop-jobs-on-shutdown, SIGTERM stops running jobs, records them AgentShutdown, and exits 0", async () => {
    agent = await startTestAgent({ args: ["--stop-jobs-on-shutdown"] });
    const running = await start(agent, "sleep", ["1000"]);
    const { pid } = await status(agent, running.jobID);
    expect(await agent.stop("SIGTERM")).to.equal(0);
    expect(isAlive(pid)).to.equal(false);
    agent = await startTestAgent({ stateDir: agent.stateDir });
    expect(await status(agent, running.jobID)).to.include({ JobStatus: "STOPPED", reason: "AgentShutdown", signal: "SIGTERM" });
  });

  it("the job's working directory is gone once it has ended, however the job shaped it, and no planted link is followed", async () => {
    agent = await startTestAgent();
    // Its own files elsewhere (which it could delete), linked from the work dir; a 100-level tree; no permissions left anywhere.
    const script = [
      "outside=$(mktemp -d /tmp/jobworker-keep-XXXXXX) && touch $outside/keep && ln -s $outside link && echo $outside",
      "d=.; for i in $(seq 100); do mkdir $d/d; d=$d/d; done; touch $d/bottom; chmod 000 $d",
      "mkdir -p a/b && touch a/b/c && chmod 000 a/b a && chmod 000 .",
    ].join("; ");
    const started = await start(agent, "sh", ["-c", script]);
    const outside = (await readOutput(client(agent), { jobID: started.jobID })).toString().trim();
    try {
      expect(existsSync(workDir(agent, started.id))).to.equal(false);
      expect(existsSync(join(outside, "keep"))).to.equal(true);
    } finally {
      execFileSync("rm", ["-rf", outside]);
    }
  });
});
