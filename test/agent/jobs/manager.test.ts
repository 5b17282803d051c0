import { expect } from "chai";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import { JobManager, type JobManagerOptions } from "../../../agent/jobs/manager.js";
import { Placement, type PlacedJob } from "../../../agent/jobs/placement.js";
import { processStartTicks } from "../../../agent/jobs/process.js";
import type { ResourceLimits } from "../../../agent/jobs/record.js";
import { appears, collect, sleep, tempDir } from "../../helpers/tmp.js";
import { groupMembers, isAlive } from "../../helpers/proc.js";
import { eventually } from "../../helpers/wait.js";

async function becomesDead(pid: number): Promise<boolean> {
  await eventually(`pid ${pid} to die`, () => !isAlive(pid)).catch(() => undefined);
  return !isAlive(pid);
}

interface LogLine {
  level: number;
  msg: string;
  jobId?: string;
  err?: { message: string };
}
const LEVEL = { warn: 40, error: 50 };

/** A logger whose lines land in `lines`, parsed. */
function capture(lines: LogLine[]): Logger {
  return pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
}

function options(stateDir: string, overrides: Partial<JobManagerOptions> = {}): JobManagerOptions {
  return {
    stateDir,
    defaultGracePeriodMs: 10_000,
    outputCapBytes: 64 * 1024 * 1024,
    maxConcurrentJobs: 50,
    retention: { maxFinishedJobs: 100, maxAgeMs: 3600_000 },
    ...overrides,
  };
}

describe("JobManager (real child processes)", () => {
  let dir: ReturnType<typeof tempDir>;
  let manager: JobManager;
  beforeEach(async () => {
    dir = tempDir();
    manager = await JobManager.open(options(dir.path));
  });
  afterEach(async () => {
    await manager.shutdown(0);
    dir.cleanup();
  });

  it("runs a command to completion and keeps its exit code and output", async () => {
    const { id, state } = await manager.start("alice", "echo", ["hello", "world"]);
    expect(state).to.be.oneOf(["STARTED", "RUNNING", "EXITED"]); // echo may be done before start() returns
    const final = await manager.wait(id);
    expect(final).to.include({ state: "EXITED", reason: "Completed", exitCode: 0, signal: null, owner: "alice" });
    expect((await collect(manager.output(id))).toString()).to.equal("hello world\n");
    expect(final.outputBytes).to.equal(12);
  });

  it("combines stdout and stderr in write order", async () => {
    const { id } = await manager.start("a", "sh", ["-c", "echo one; echo two >&2; echo three; echo four >&2"]);
    expect((await collect(manager.output(id))).toString()).to.equal("one\ntwo\nthree\nfour\n");
  });

  it("records a non-zero exit as Error with its code", async () => {
    const { id } = await manager.start("a", "sh", ["-c", "exit 3"]);
    expect(await manager.wait(id)).to.include({ state: "EXITED", reason: "Error", exitCode: 3 });
  });

  it("ends FAILED with a clear message and the failed step's errno (exec, ENOENT) when the command does not exist", async () => {
    const { id } = await manager.start("a", "no-such-command-xyz", []);
    const final = await manager.wait(id);
    expect(final).to.include({ state: "FAILED", reason: "FailedToStart", exitCode: null });
    expect(final.message).to.match(/exec no-such-command-xyz: No such file or directory/);
    expect(final.startFailure).to.deep.equal({ step: "exec", errnoName: "ENOENT" });
  });

  it("ends FAILED (exec, EACCES) when the file is not executable", async () => {
    const script = join(dir.path, "not-executable.sh");
    writeFileSync(script, "#!/bin/sh\necho hi\n");
    chmodSync(script, 0o644);
    const final = await manager.wait((await manager.start("a", script, [])).id);
    expect(final.state).to.equal("FAILED");
    expect(final.message).to.match(/Permission denied/);
    expect(final.startFailure).to.deep.equal({ step: "exec", errnoName: "EACCES" });
  });

  it("gives jobs stdin from /dev/null, a minimal environment and their own session", async () => {
    const { id } = await manager.start("a", "sh", ["-c", "cat; env | sort; ps -o sid=,pgid= -p $$"]);
    const out = (await collect(manager.output(id))).toString();
    expect(out).to.include(`JOBWORKER_JOB_ID=${id}`);
    expect(out).to.include("PATH=/usr/local/sbin:");
    expect(out).not.to.include("npm_");
    const [sid, pgid] = out.trim().split("\n").pop()!.trim().split(/\s+/).map(Number);
    const { pid } = manager.status(id);
    expect(sid).to.equal(pid);
    expect(pgid).to.equal(pid);
  });

  it("stop sends SIGTERM and the job ends STOPPED", async () => {
    const { id } = await manager.start("a", "sleep", ["1000"]);
    const final = await manager.stop(id, 5000);
    expect(final).to.include({ state: "STOPPED", reason: "Stopped", signal: "SIGTERM", exitCode: null });
  });

  it("stop kills a grandchild that ignores SIGTERM after the grace period: nothing is left", async () => {
    const script = `sh -c 'trap "" TERM; echo $$; while :; do sleep 1; done' & wait`;
    const { id, pid } = await manager.start("a", "sh", ["-c", script]);
    const reader = manager.output(id);
    const first = await reader.next();
    const grandchild = Number(first.value!.toString().trim());
    await reader.return(undefined);
    expect(isAlive(grandchild)).to.equal(true);
    const final = await manager.stop(id, 300);
    expect(final.state).to.equal("STOPPED");
    expect(isAlive(grandchild)).to.equal(false);
    expect(groupMembers(pid!)).to.deep.equal([]);
  });

  it("stop with grace 0 sends SIGKILL at once (seed 003)", async () => {
    const { id } = await manager.start("a", "sh", ["-c", "trap '' TERM; sleep 1000"]);
    const final = await manager.stop(id, 0);
    expect(final).to.include({ state: "STOPPED", signal: "SIGKILL" });
  });

  it("stopping a finished job is not an error", async () => {
    const { id } = await manager.start("a", "true", []);
    await manager.wait(id);
    expect((await manager.stop(id)).state).to.equal("EXITED");
  });

  it("kills what the command left in its group when it exits", async () => {
    const { id, pid } = await manager.start("a", "sh", ["-c", "sleep 1000 & echo $!"]);
    const final = await manager.wait(id);
    expect(final.state).to.equal("EXITED");
    const sleeper = Number((await collect(manager.output(id))).toString().trim());
    // The pipe closes while the killed process is still exiting: give it a moment to be reaped.
    expect(await becomesDead(sleeper)).to.equal(true);
    expect(groupMembers(pid!)).to.deep.equal([]);
  });

  it("serves output from an offset, without follow, and to late readers", async () => {
    const { id } = await manager.start("a", "sh", ["-c", "printf 0123456789"]);
    await manager.wait(id);
    expect((await collect(manager.output(id, { offset: 4 }))).toString()).to.equal("456789");
    expect((await collect(manager.output(id, { follow: false }))).toString()).to.equal("0123456789");
    expect((await collect(manager.output(id, { offset: 99 }))).toString()).to.equal("");
  });

  it("without follow returns what exists and ends while the job still runs", async () => {
    const { id } = await manager.start("a", "sh", ["-c", "echo early; exec sleep 1000"]);
    let out = "";
    for (let i = 0; i < 50 && out === ""; i++) {
      out = (await collect(manager.output(id, { follow: false }))).toString();
      if (out === "") await sleep(50);
    }
    expect(out).to.equal("early\n");
    expect(manager.status(id).state).to.equal("RUNNING");
  });

  it("streams live to concurrent readers, binary-safe", async () => {
    const { id } = await manager.start("a", "sh", ["-c", "head -c 3000000 /dev/urandom; sleep 0.2; printf '\\000\\377end'"]);
    const outputs = await Promise.all([0, 1, 2, 3].map(() => collect(manager.output(id))));
    expect(outputs[0].length).to.equal(3000005);
    expect(outputs[0].subarray(-5).toString("latin1")).to.equal("\u0000\u00ffend");
    for (const out of outputs) expect(out.equals(outputs[0])).to.equal(true);
  });

  it("caps output per job: the rest is dropped and counted, the job runs on", async () => {
    await manager.shutdown(0);
    manager = await JobManager.open(options(dir.path, { outputCapBytes: 1000 }));
    const { id } = await manager.start("a", "sh", ["-c", "head -c 5000 /dev/zero; echo done-marker >/dev/null"]);
    const final = await manager.wait(id);
    expect(final).to.include({ state: "EXITED", reason: "Completed", outputBytes: 1000, outputDroppedBytes: 4000 });
    expect((await collect(manager.output(id))).length).to.equal(1000);
  });

  it("refuses jobs past the concurrency limit with RESOURCE_EXHAUSTED", async () => {
    await manager.shutdown(0);
    manager = await JobManager.open(options(dir.path, { maxConcurrentJobs: 1 }));
    const { id } = await manager.start("a", "sleep", ["1000"]);
    try {
      await manager.start("a", "true", []);
      expect.fail("second start should be refused");
    } catch (err) {
      expect((err as { code: string }).code).to.equal("RESOURCE_EXHAUSTED");
    }
    await manager.stop(id, 0);
    const next = await manager.start("a", "true", []);
    expect((await manager.wait(next.id)).state).to.equal("EXITED");
  });

  describe("per owner", () => {
    async function refusal(start: Promise<unknown>): Promise<{ code?: string; message: string }> {
      return start.then(() => expect.fail("the start should be refused"), (err: { code?: string; message: string }) => err);
    }

    async function finish(owner: string): Promise<string> {
      const { id } = await manager.start(owner, "true", []);
      await manager.wait(id); // its end ran the retention (the manager forgets jobs before wait resolves)
      return id;
    }

    const kept = (ids: string[]) => ids.filter((id) => manager.list().some((job) => job.id === id));

    it("admits at most maxConcurrentJobsPerOwner running jobs per owner; other owners still start; the global limit holds", async () => {
      await manager.shutdown(0);
      manager = await JobManager.open(options(dir.path, { maxConcurrentJobs: 3, maxConcurrentJobsPerOwner: 2 }));
      const alice = [await manager.start("alice", "sleep", ["1000"]), await manager.start("alice", "sleep", ["1000"])];
      const own = await refusal(manager.start("alice", "sleep", ["1000"]));
      expect(own.code).to.equal("RESOURCE_EXHAUSTED");
      expect(own.message).to.match(/for owner alice: 2 \(per-owner limit 2, jobs.maxConcurrentJobsPerOwner\)/);
      const bob = await manager.start("bob", "sleep", ["1000"]);
      const global = await refusal(manager.start("carol", "sleep", ["1000"]));
      expect(global.code).to.equal("RESOURCE_EXHAUSTED");
      expect(global.message).to.match(/on this agent: 3 \(global limit 3, jobs.maxConcurrentJobs\)/);
      await manager.stop(alice[0].id, 0); // a slot of alice's own frees a slot for alice (and the agent)
      const again = await manager.start("alice", "sleep", ["1000"]);
      for (const job of [alice[1], bob, again]) await manager.stop(job.id, 0);
    });

    it("defaults the per-owner running limit to half the global one, rounded up", async () => {
      await manager.shutdown(0);
      manager = await JobManager.open(options(dir.path, { maxConcurrentJobs: 5 }));
      const alice = [];
      for (let i = 0; i < 3; i++) alice.push(await manager.start("alice", "sleep", ["1000"]));
      expect((await refusal(manager.start("alice", "sleep", ["1000"]))).message).to.match(/per-owner limit 3/);
      const bob = [await manager.start("bob", "sleep", ["1000"]), await manager.start("bob", "sleep", ["1000"])];
      expect((await refusal(manager.start("bob", "sleep", ["1000"]))).message).to.match(/global limit 5/);
      for (const job of [...alice, ...bob]) await manager.stop(job.id, 0);
    });

    it("a running job found by recovery counts for its owner", async () => {
      await manager.shutdown(0);
      manager = await JobManager.open(options(dir.path, { maxConcurrentJobs: 10, maxConcurrentJobsPerOwner: 1 }));
      const { id } = await manager.start("alice", "sleep", ["1000"]);
      await manager.close(); // the job keeps running; the next manager reattaches to it
      manager = await JobManager.open(options(dir.path, { maxConcurrentJobs: 10, maxConcurrentJobsPerOwner: 1 }));
      expect((await refusal(manager.start("alice", "true", []))).message).to.match(/per-owner limit 1/);
      await manager.stop(id, 0);
    });

    it("past maxFinishedJobsPerOwner forgets only that owner's oldest finished jobs", async () => {
      await manager.shutdown(0);
      manager = await JobManager.open(options(dir.path, { retention: { maxFinishedJobs: 10, maxFinishedJobsPerOwner: 2, maxAgeMs: 3600_000 } }));
      const bob = await finish("bob");
      const alice = [await finish("alice"), await finish("alice"), await finish("alice"), await finish("alice")];
      expect(kept([bob, ...alice])).to.deep.equal([bob, alice[2], alice[3]]);
      expect(() => manager.status(alice[0])).to.throw(/not found/);
    });

    it("past the global maxFinishedJobs forgets the oldest of the owner keeping the most, not another owner's", async () => {
      await manager.shutdown(0);
      manager = await JobManager.open(options(dir.path, { retention: { maxFinishedJobs: 3, maxFinishedJobsPerOwner: 3, maxAgeMs: 3600_000 } }));
      const bob = await finish("bob"); // the oldest record of all
      const alice = [await finish("alice"), await finish("alice"), await finish("alice")];
      expect(kept([bob, ...alice])).to.deep.equal([bob, alice[1], alice[2]]);
      expect(manager.list().filter((job) => job.state === "EXITED")).to.have.length(3); // the global count holds
      const bobAgain = await finish("bob"); // now a tie (2 and 2): the owner whose oldest is older loses it, bob
      expect(kept([bob, ...alice, bobAgain])).to.deep.equal([alice[1], alice[2], bobAgain]);
    });

    it("defaults the per-owner retention to half the global count, rounded up", async () => {
      await manager.shutdown(0);
      manager = await JobManager.open(options(dir.path, { retention: { maxFinishedJobs: 3, maxAgeMs: 3600_000 } }));
      const bob = await finish("bob");
      const alice = [];
      for (let i = 0; i < 4; i++) alice.push(await finish("alice"));
      expect(kept([bob, ...alice])).to.deep.equal([bob, alice[2], alice[3]]);
    });
  });

  it("shutdown also stops jobs whose start was in flight when it began", async () => {
    const starting = manager.start("a", "sleep", ["1000"]);
    const shutdown = manager.shutdown(5000);
    const { id, pid } = await starting;
    await shutdown;
    expect(manager.status(id)).to.include({ state: "STOPPED", reason: "AgentShutdown" });
    expect(await becomesDead(pid!)).to.equal(true);
  });

  it("a stop arriving after the command ended by itself keeps the job's own result", async () => {
    // The escaped sleeper holds the output open, so cleanup takes a while after the exit.
    const { id, pid } = await manager.start("a", "sh", ["-c", "setsid sleep 3 & exit 3"]);
    expect(await becomesDead(pid!)).to.equal(true); // the command has exited; the job has not ended yet
    expect(manager.status(id).state).to.equal("RUNNING");
    const final = await manager.stop(id, 5000);
    expect(final).to.include({ state: "EXITED", reason: "Error", exitCode: 3 });
  });

  describe("a failed record save is reported to its caller and crashes nothing", () => {
    // Every save of a job's record writes job.json.tmp first (common/durable-file.ts): a directory
    // standing there makes each save fail (EISDIR), as root too, like a disk that refuses writes.
    const blockSaves = (id: string) => mkdirSync(join(dir.path, "jobs", id, "job.json.tmp"));
    let logged: LogLine[];
    let unhandled: unknown[];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    beforeEach(() => {
      logged = [];
      unhandled = [];
      process.on("unhandledRejection", onUnhandled);
    });
    afterEach(() => {
      process.off("unhandledRejection", onUnhandled);
    });
    /** One slot in all: a job that failed to save must still give its slot back, or nothing else could start. */
    const reopen = async (more: Partial<JobManagerOptions> = {}) => {
      await manager.shutdown(0);
      manager = await JobManager.open(options(dir.path, { maxConcurrentJobs: 1, maxConcurrentJobsPerOwner: 1, logger: capture(logged), ...more }));
    };
    /** Any rejection nobody handled has been reported once the event loop has gone round. */
    const noUnhandledRejection = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).to.deep.equal([]);
    };

    it("saves failing while the job runs: stop() still ends it STOPPED, each failure is logged, and the manager runs on", async () => {
      await reopen();
      const job = await manager.start("alice", "sleep", ["1000"]);
      const recordPath = join(dir.path, "jobs", job.id, "job.json");
      const onDisk = () => JSON.parse(readFileSync(recordPath, "utf8")) as { state: string; stopRequest?: unknown };
      await eventually("the RUNNING record to land (start() does not wait for it)", () => onDisk().state === "RUNNING");
      blockSaves(job.id);

      const stopped = await manager.stop(job.id, 5000);
      expect(stopped).to.include({ state: "STOPPED", reason: "Stopped", signal: "SIGTERM" });
      expect(manager.status(job.id)).to.include({ state: "STOPPED", reason: "Stopped" });
      expect(await becomesDead(job.pid!)).to.equal(true);
      const failures = logged.filter((line) => line.jobId === job.id && /^saving the/.test(line.msg));
      expect(failures.map((line) => [line.level, line.msg])).to.deep.equal([
        [LEVEL.warn, "saving the stop request failed"],
        [LEVEL.error, "saving the job record failed"],
      ]);
      for (const line of failures) expect(line.err?.message).to.match(/EISDIR/);
      expect(logged.some((line) => line.jobId === job.id && line.msg === "job ended")).to.equal(true);
      expect(onDisk()).to.include({ state: "RUNNING" }); // a failed save leaves the previous record whole
      expect(onDisk().stopRequest).to.equal(undefined);

      // Its slot is free again, and everything else works: start, output, stop, list.
      const next = await manager.start("alice", "sh", ["-c", "echo still working"]);
      expect(await manager.wait(next.id)).to.include({ state: "EXITED", reason: "Completed" });
      expect((await collect(manager.output(next.id))).toString()).to.equal("still working\n");
      const sleeper = await manager.start("bob", "sleep", ["1000"]);
      expect(await manager.stop(sleeper.id, 5000)).to.include({ state: "STOPPED", reason: "Stopped" });
      expect(manager.list().map((r) => r.id).sort()).to.deep.equal([job.id, next.id, sleeper.id].sort());
      await noUnhandledRejection();

      // What the failure costs: the next agent knows only the saved record and the monitor's exit file,
      // so it records the end as a signal nobody asked for through Stop. Final, not running, not lost.
      rmdirSync(recordPath + ".tmp");
      await reopen();
      expect(manager.status(job.id)).to.include({ state: "EXITED", reason: "Error", signal: "SIGTERM" });
      expect(onDisk()).to.include({ state: "EXITED", reason: "Error" });
    });

    it("the first save failing fails start() with the error; nothing runs and its slot is free again", async () => {
      let blocked: string | undefined;
      /** Blocks the saves of the first job just before its first save (the placement comes right before it). */
      class BlockingPlacement extends Placement {
        override async place(id: string, limits: ResourceLimits, workDir: string): Promise<PlacedJob> {
          if (!blocked) blockSaves((blocked = id));
          return super.place(id, limits, workDir);
        }
      }
      const placement = new BlockingPlacement({ cgroups: { mode: "unavailable", reason: "not in this test" }, bestEffortLimits: false, swap: false, oomGroup: true });
      await reopen({ placement });
      const err = await manager.start("alice", "sleep", ["1000"]).then(() => undefined, (e: NodeJS.ErrnoException) => e);
      expect(err?.code).to.equal("EISDIR");
      expect(blocked).to.be.a("string");
      expect(manager.list()).to.deep.equal([]);
      expect(() => manager.status(blocked!)).to.throw(/not found/);
      expect(existsSync(join(dir.path, "jobs", blocked!, "monitor")), "no monitor was started").to.equal(false);

      const next = await manager.start("alice", "sh", ["-c", "echo next"]);
      expect(await manager.wait(next.id)).to.include({ state: "EXITED", reason: "Completed" });
      expect((await collect(manager.output(next.id))).toString()).to.equal("next\n");
      await noUnhandledRejection();
    });
  });

  it("answers NOT_FOUND for unknown ids", () => {
    expect(() => manager.status("00000000-0000-4000-8000-000000000000")).to.throw(/not found/).with.property("code", "NOT_FOUND");
  });

  it("keeps finished jobs' status and output across a restart", async () => {
    const { id } = await manager.start("bob", "sh", ["-c", "printf persisted; exit 4"]);
    await manager.wait(id);
    await manager.shutdown(0);
    manager = await JobManager.open(options(dir.path));
    expect(manager.status(id)).to.include({ state: "EXITED", exitCode: 4, owner: "bob", outputBytes: 9 });
    expect((await collect(manager.output(id))).toString()).to.equal("persisted");
  });

  it("on open, kills what is left of a job whose monitor is gone without an exit file, and records it Lost", async () => {
    // A real process tree standing in for a job whose monitor died (here: one an agent before the monitor started).
    const orphan = spawn("sh", ["-c", "sleep 1000 & wait"], { detached: true, stdio: "ignore" });
    await eventually("the orphan's sleep to start", () => groupMembers(orphan.pid!).length === 2);
    const id = "6f1c1f5e-4c1a-4d2b-9a7e-2b1a3c4d5e6f";
    mkdirSync(join(dir.path, "jobs", id), { recursive: true });
    writeFileSync(join(dir.path, "jobs", id, "output"), "partial");
    writeFileSync(
      join(dir.path, "jobs", id, "job.json"),
      JSON.stringify({
        id, owner: "alice", command: "sh", args: [], state: "RUNNING", exitCode: null, signal: null,
        pid: orphan.pid, pidStartTicks: processStartTicks(orphan.pid!), startTime: new Date().toISOString(),
        gracePeriodMs: 10000, limits: {}, outputBytes: 0, outputDroppedBytes: 0,
      }),
    );
    await manager.shutdown(0);
    manager = await JobManager.open(options(dir.path));
    expect(manager.status(id)).to.include({ state: "STOPPED", reason: "Lost", outputBytes: 7 });
    await eventually("the orphan's group to be gone", () => groupMembers(orphan.pid!).length === 0);
  });

  it("a stop under way when the agent goes away is finished by the next one: SIGKILL when due, recorded Stopped", async () => {
    const { id } = await manager.start("a", "sh", ["-c", "trap 'echo term' TERM; while :; do sleep 0.1; done"]);
    const stopping = manager.stop(id, 1500).catch(() => undefined); // never settles here: this agent goes away first
    // The SIGTERM arrived (the shell says so, and that its sleep was terminated); the job ignores it.
    let seen = "";
    const reader = manager.output(id);
    while (!seen.includes("term\n")) seen += (await reader.next()).value?.toString() ?? "";
    await reader.return(undefined);
    await manager.close();
    manager = await JobManager.open(options(dir.path));
    const final = await manager.wait(id);
    expect(final).to.include({ state: "STOPPED", reason: "Stopped", signal: "SIGKILL" });
    expect(final.stopRequest).to.equal(undefined);
    void stopping;
  });

  it("a job that ends of a stop's SIGTERM while no agent runs is recorded Stopped, not as a normal exit", async () => {
    const { id } = await manager.start("a", "sh", ["-c", "trap 'echo term; while [ ! -e go ]; do sleep 0.05; done; exit 0' TERM; while :; do sleep 0.1; done"]);
    void manager.stop(id, 60_000).catch(() => undefined); // this agent goes away before the job ends
    let seen = "";
    const reader = manager.output(id);
    while (!seen.includes("term\n")) seen += (await reader.next()).value?.toString() ?? "";
    await reader.return(undefined);
    await manager.close();
    writeFileSync(join(dir.path, "jobs", id, "work", "go"), "");
    await appears(join(dir.path, "jobs", id, "exit"));
    manager = await JobManager.open(options(dir.path));
    expect(manager.status(id)).to.include({ state: "STOPPED", reason: "Stopped", exitCode: 0 });
  });

  it("garbage-collects the oldest finished jobs past the retention count", async () => {
    await manager.shutdown(0);
    manager = await JobManager.open(options(dir.path, { retention: { maxFinishedJobs: 2, maxFinishedJobsPerOwner: 2, maxAgeMs: 3600_000 } }));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { id } = await manager.start("a", "true", []);
      await manager.wait(id);
      ids.push(id);
      await sleep(5);
    }
    expect(() => manager.status(ids[0])).to.throw(/not found/); // gone from the API at once
    await eventually("the oldest job's files to be removed", () => !existsSync(join(dir.path, "jobs", ids[0])));
    expect(manager.status(ids[2]).state).to.equal("EXITED");
  });
});
