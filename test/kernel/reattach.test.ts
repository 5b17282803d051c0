// Jobs outlive the agent on a real cgroup v2 kernel: limits stay in force
// across an agent restart, a job OOM-killed while no agent ran is recorded
// OOMKilled, and the monitor lives outside both the job's leaf and the agent's.
import { expect } from "chai";
import { existsSync, readFileSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setupDelegation, type CgroupAvailable } from "../../agent/cgroups/delegation.js";
import { JobManager, type JobManagerOptions } from "../../agent/jobs/manager.js";
import { Placement } from "../../agent/jobs/placement.js";
import { NO_LIMITS } from "../../agent/jobs/record.js";
import { UidPool } from "../../agent/jobs/uid-pool.js";
import { appears, collect, tempDir } from "../helpers/tmp.js";
import { isAlive } from "../helpers/proc.js";
import { ALL_REFUSED, attackScript, buildPoke, readScript } from "../helpers/poke.js";

const MiB = 1024 * 1024;
const CGROUP_MOUNT = "/sys/fs/cgroup";

/** A job manager on the delegated cgroup v2 subtree, each job under a uid of its own from [first, last]. */
function managerOptions(stateDir: string, cgroups: CgroupAvailable, uids: { first: number; last: number }): JobManagerOptions {
  return {
    stateDir, defaultGracePeriodMs: 1000, outputCapBytes: 64 * MiB, maxConcurrentJobs: 10,
    retention: { maxFinishedJobs: 100, maxAgeMs: 3600_000 },
    placement: new Placement({ cgroups, bestEffortLimits: false, swap: false, oomGroup: true }),
    users: { kind: "perJob", pool: new UidPool(uids) },
  };
}

describe("cgroup v2: jobs outlive the agent", function () {
  let cgroups: CgroupAvailable;
  let state: ReturnType<typeof tempDir>;
  let options: JobManagerOptions;
  let manager: JobManager | undefined;
  before(async () => {
    const setup = await setupDelegation();
    if (setup.mode !== "v2") throw new Error(`cgroup v2 unavailable: ${setup.reason}`);
    cgroups = setup;
    state = tempDir();
    options = managerOptions(state.path, cgroups, { first: 70500, last: 70599 });
  });
  afterEach(async () => {
    await manager?.shutdown(0);
    manager = undefined;
  });
  after(() => state?.cleanup());

  const leaf = (id: string) => join(CGROUP_MOUNT, cgroups.jobsParent, id);
  const workDir = (id: string) => join(state.path, "jobs", id, "work");

  it("a restart keeps the job running in its leaf, limits in force, output whole; the monitor is outside job and agent leaves", async () => {
    manager = await JobManager.open(options);
    const script = "echo one; while [ ! -e go ]; do sleep 0.1; done; echo two; exec sleep 1000";
    const job = await manager.start("t", "sh", ["-c", script], { limits: { ...NO_LIMITS, cpuCores: 0.5, memoryBytes: 64 * MiB, pids: 50 } });
    const monitorCgroup = readFileSync(`/proc/${job.monitorPid}/cgroup`, "utf8").trim();
    expect(monitorCgroup).to.equal(`0::/${cgroups.monitors}`);
    expect(readFileSync(`/proc/${job.pid}/cgroup`, "utf8").trim()).to.equal(`0::/${cgroups.jobsParent}/${job.id}`);

    await manager.close(); // the agent goes away; the job does not
    expect(isAlive(job.pid!)).to.equal(true);
    manager = await JobManager.open({ ...options, users: { kind: "perJob", pool: new UidPool({ first: 70500, last: 70599 }) } });
    expect(manager.status(job.id)).to.include({ state: "RUNNING", pid: job.pid, uid: job.uid });
    expect(readFileSync(join(leaf(job.id), "cpu.max"), "utf8").trim()).to.equal("50000 100000");
    expect(readFileSync(join(leaf(job.id), "memory.max"), "utf8").trim()).to.equal(String(64 * MiB));
    expect(readFileSync(join(leaf(job.id), "pids.max"), "utf8").trim()).to.equal("50");
    // The restarted agent knows the uid is taken: a new job gets another one.
    const other = await manager.start("t", "id", ["-u"]);
    expect(other.uid).to.not.equal(job.uid);

    const reader = collect(manager.output(job.id));
    writeFileSync(join(workDir(job.id), "go"), "");
    const text = () => readFileSync(join(state.path, "jobs", job.id, "output"), "utf8");
    await new Promise<void>((resolve) => {
      const w = watch(join(state.path, "jobs", job.id), () => text() === "one\ntwo\n" && (w.close(), resolve()));
      if (text() === "one\ntwo\n") (w.close(), resolve());
    });
    const final = await manager.stop(job.id, 500);
    expect(final).to.include({ state: "STOPPED", reason: "Stopped" });
    expect((await reader).toString()).to.equal("one\ntwo\n");
    expect(existsSync(leaf(job.id))).to.equal(false);
  });

  it("a job OOM-killed while no agent ran is recorded OOMKilled, with its usage", async () => {
    manager = await JobManager.open(options);
    const job = await manager.start("t", "sh", ["-c", "while [ ! -e go ]; do sleep 0.1; done; exec tail /dev/zero"], { limits: { ...NO_LIMITS, memoryBytes: 32 * MiB } });
    await manager.close();
    manager = undefined;
    writeFileSync(join(workDir(job.id), "go"), "");
    await appears(join(state.path, "jobs", job.id, "exit"));
    expect(existsSync(leaf(job.id))).to.equal(true); // kept for the next agent to read
    manager = await JobManager.open({ ...options, users: { kind: "perJob", pool: new UidPool({ first: 70500, last: 70599 }) } });
    const final = manager.status(job.id);
    expect(final).to.include({ state: "EXITED", reason: "OOMKilled", signal: "SIGKILL" });
    expect(final.usage!.oomKills).to.be.greaterThan(0);
    expect(existsSync(leaf(job.id))).to.equal(false);
  });
});

describe("cgroup v2: a uid per job", function () {
  let state: ReturnType<typeof tempDir>;
  let tools: ReturnType<typeof buildPoke>;
  let manager: JobManager;
  before(async () => {
    const cgroups = await setupDelegation();
    if (cgroups.mode !== "v2") throw new Error(`cgroup v2 unavailable: ${cgroups.reason}`);
    state = tempDir();
    tools = buildPoke();
    manager = await JobManager.open(managerOptions(state.path, cgroups, { first: 70900, last: 70901 }));
  });
  after(async () => {
    await manager?.shutdown(0);
    state?.cleanup();
    tools?.cleanup();
  });

  it("alice's job fails to kill, ptrace, read the environment, cwd or work directory of, or inject into bob's job, or read any output", async () => {
    const victim = await manager.start("bob", "sh", ["-c", "echo victim; exec sleep 1000"]);
    const attack = `${attackScript(tools.path, victim.pid!, join(state.path, "jobs", victim.id, "work"))}; ${readScript(tools.path, [join(state.path, "jobs", victim.id, "output")], join(state.path, "jobs"))}`;
    const attacker = await manager.start("alice", "sh", ["-c", attack]);
    expect(attacker.uid).to.not.equal(victim.uid);
    await manager.wait(attacker.id);
    expect((await collect(manager.output(attacker.id))).toString().trim().split("\n")).to.deep.equal([...ALL_REFUSED, "read: EACCES", "list: denied"]);
    expect(isAlive(victim.pid!)).to.equal(true);
    expect((await collect(manager.output(victim.id, { follow: false }))).toString()).to.equal("victim\n");
    await manager.stop(victim.id, 0);
  });

  it("hands a uid out again only after its job has ended and its files are gone", async () => {
    // Two uids in the pool, both taken: a third job waits for one to be released.
    const first = await manager.start("a", "sleep", ["1000"]);
    const second = await manager.start("a", "sleep", ["1000"]);
    const refused = await manager.start("a", "true", []).then(() => undefined, (err: Error & { code?: string }) => err);
    expect(refused?.code).to.equal("RESOURCE_EXHAUSTED");
    await manager.stop(first.id, 0);
    expect(existsSync(workDir(first.id))).to.equal(false);
    const third = await manager.start("a", "id", ["-u"]);
    expect(third.uid).to.equal(first.uid);
    await manager.stop(second.id, 0);
  });

  const workDir = (id: string) => join(state.path, "jobs", id, "work");
});
