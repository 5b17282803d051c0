// Resource control on a real kernel with cgroup v2 (run inside the test VM by
// `npm run test:vm`; test/vm/run.sh puts this process in a delegated cgroup,
// as systemd's Delegate=yes would). Each test asserts the kernel's effect.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setupDelegation, type CgroupAvailable } from "../../agent/cgroups/delegation.js";
import { JobManager } from "../../agent/jobs/manager.js";
import { Placement } from "../../agent/jobs/placement.js";
import { NO_LIMITS, type ResourceLimits } from "../../agent/jobs/record.js";
import { resolveUser } from "../../agent/jobs/run-as.js";
import { collect, sleep, tempDir } from "../helpers/tmp.js";
import { isAlive } from "../helpers/proc.js";

const MiB = 1024 * 1024;
const CGROUP_MOUNT = "/sys/fs/cgroup";

describe("cgroup v2 on a real kernel", function () {
  let cgroups: CgroupAvailable;
  let manager: JobManager;
  let state: ReturnType<typeof tempDir>;
  const disk = process.env.JOBWORKER_VM_DISK ?? "/run/vmdisk";

  before(async () => {
    const setup = await setupDelegation();
    if (setup.mode !== "v2") throw new Error(`cgroup v2 unavailable: ${setup.reason}`);
    cgroups = setup;
    state = tempDir();
    manager = await JobManager.open({
      stateDir: state.path,
      defaultGracePeriodMs: 10_000,
      outputCapBytes: 64 * MiB,
      maxConcurrentJobs: 20,
      retention: { maxFinishedJobs: 100, maxAgeMs: 3600_000 },
      placement: new Placement({ cgroups, bestEffortLimits: false, ioDevicePath: disk, swap: false, oomGroup: true }),
      users: { kind: "fixed", ...(await resolveUser("nobody")) },
    });
  });
  after(async () => {
    await manager?.shutdown(0);
    state?.cleanup();
  });

  const limits = (l: Partial<ResourceLimits>): ResourceLimits => ({ ...NO_LIMITS, ...l });
  const leaf = (id: string) => join(CGROUP_MOUNT, cgroups.jobsParent, id);

  it("the agent sits in its own leaf; a job's first act sees its own leaf, which is gone after it ends", async () => {
    expect(readFileSync("/proc/self/cgroup", "utf8").trim()).to.equal(`0::/${cgroups.root}/agent`);
    expect(readFileSync(join(CGROUP_MOUNT, cgroups.root, "cgroup.subtree_control"), "utf8").trim()).to.equal("cpu io memory pids");
    const { id } = await manager.start("t", "cat", ["/proc/self/cgroup"]);
    const final = await manager.wait(id);
    expect((await collect(manager.output(id))).toString().trim()).to.equal(`0::/${cgroups.jobsParent}/${id}`);
    expect(final.state).to.equal("EXITED");
    expect(existsSync(leaf(id))).to.equal(false);
  });

  it("runs jobs as the unprivileged user by default", async () => {
    const { id } = await manager.start("t", "id", ["-u"]);
    await manager.wait(id);
    expect((await collect(manager.output(id))).toString().trim()).to.equal("65534");
  });

  it("memory: a job over its limit is OOM-killed and reported OOMKilled", async () => {
    // tail buffers a line that never ends: memory grows until the limit.
    const { id } = await manager.start("t", "tail", ["/dev/zero"], { limits: limits({ memoryBytes: 32 * MiB }) });
    const final = await manager.wait(id);
    expect(final).to.include({ state: "EXITED", reason: "OOMKilled", signal: "SIGKILL" });
    expect(final.usage!.oomKills).to.be.greaterThan(0);
    expect(final.usage!.memoryPeakBytes).to.be.at.most(32 * MiB);
  });

  it("memory: a job under its limit is not", async () => {
    const { id } = await manager.start("t", "sh", ["-c", "head -c 8000000 /dev/zero | tail -c 1000000 | wc -c"], { limits: limits({ memoryBytes: 64 * MiB }) });
    const final = await manager.wait(id);
    expect(final).to.include({ state: "EXITED", reason: "Completed", exitCode: 0 });
    expect(final.usage!.oomKills).to.equal(0);
  });

  it("memory: a job that exits 137 by itself is not OOMKilled", async () => {
    const { id } = await manager.start("t", "sh", ["-c", "exit 137"], { limits: limits({ memoryBytes: 64 * MiB }) });
    expect(await manager.wait(id)).to.include({ state: "EXITED", reason: "Error", exitCode: 137 });
  });

  it("cpu: 0.2 cores holds a busy loop to ~0.2 CPU-seconds per second; unlimited gets ~1", async () => {
    const rate = async (cpuCores: number) => {
      const { id } = await manager.start("t", "sh", ["-c", "while :; do :; done"], { limits: limits({ cpuCores }) });
      await sleep(500); // past start-up
      const first = (await manager.liveStats(id))!.cpu;
      const t0 = Date.now();
      await sleep(3000);
      const second = (await manager.liveStats(id))!.cpu;
      const seconds = (Date.now() - t0) / 1000;
      await manager.stop(id, 0);
      return { rate: (second.usageSeconds - first.usageSeconds) / seconds, throttled: second.throttledPeriods - first.throttledPeriods };
    };
    const limited = await rate(0.2);
    const unlimited = await rate(0);
    console.log(`      cpu: limited 0.2 -> ${limited.rate.toFixed(3)} CPU-s/s (${limited.throttled} throttled periods); unlimited -> ${unlimited.rate.toFixed(3)}`);
    expect(limited.rate).to.be.at.most(0.25);
    expect(limited.rate).to.be.at.least(0.1);
    expect(limited.throttled).to.be.greaterThan(0);
    expect(unlimited.rate).to.be.at.least(0.7);
  });

  it("pids: pids.max contains a fork bomb, and the agent stays healthy", async () => {
    const { id } = await manager.start("t", "sh", ["-c", "bomb() { bomb | bomb & }; bomb; sleep 1000"], { limits: limits({ pids: 40 }) });
    await sleep(3000);
    const stats = (await manager.liveStats(id))!;
    expect(stats.pids.current).to.be.at.most(40);
    expect(stats.pids.peak ?? 0).to.be.at.most(40);
    const stopped = await manager.stop(id, 0);
    expect(stopped.state).to.equal("STOPPED");
    expect(existsSync(leaf(id))).to.equal(false);
    const after = await manager.start("t", "echo", ["healthy"]);
    await manager.wait(after.id);
    expect((await collect(manager.output(after.id))).toString()).to.equal("healthy\n");
  });

  it("io: io.max write bandwidth holds within 25% on the virtio disk (O_DIRECT)", async () => {
    const dir = join(disk, "iotest");
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o1777);
    const bps = 4 * MiB;
    const { id } = await manager.start("t", "dd", ["if=/dev/zero", `of=${dir}/out`, "bs=256k", "count=64", "oflag=direct"], {
      limits: limits({ ioWriteBps: bps }),
    });
    const final = await manager.wait(id);
    const seconds = (Date.parse(final.endTime!) - Date.parse(final.startTime)) / 1000;
    const achieved = (16 * MiB) / seconds;
    console.log(`      io: 16 MiB at wbps=4Mi took ${seconds.toFixed(2)} s -> ${(achieved / MiB).toFixed(2)} MiB/s; cgroup wrote ${final.usage!.ioWriteBytes} bytes`);
    expect(final).to.include({ state: "EXITED", exitCode: 0 });
    expect(achieved).to.be.at.most(bps * 1.25);
    expect(achieved).to.be.at.least(bps * 0.5);
    expect(final.usage!.ioWriteBytes).to.be.at.least(16 * MiB);
  });

  it("stop removes a double-forked tree that ignores SIGTERM, through cgroup.kill: nothing is left", async () => {
    const script = `(setsid sh -c 'trap "" TERM; while :; do sleep 1; done' &); trap "" TERM; while :; do sleep 1; done`;
    const { id } = await manager.start("t", "sh", ["-c", script]);
    await sleep(1500);
    const procs = readFileSync(join(leaf(id), "cgroup.procs"), "utf8").trim().split("\n").map(Number);
    expect(procs.length).to.be.at.least(3); // the shell, the escaped daemon, their sleeps
    const final = await manager.stop(id, 500);
    expect(final.state).to.equal("STOPPED");
    for (const pid of procs) expect(isAlive(pid), `pid ${pid}`).to.equal(false);
    expect(existsSync(leaf(id))).to.equal(false);
  });
});

describe("cgroup v2: recovery of a job whose monitor is gone", () => {
  it("kills what is left in the job's leaf, removes the leaf, and records the job Lost", async () => {
    const setup = await setupDelegation();
    if (setup.mode !== "v2") throw new Error(setup.reason);
    const state = tempDir();
    const id = "0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d";
    // What a dead monitor leaves: a job leaf with a live process that escaped its process group, a RUNNING record, no exit file.
    const leafPath = join(CGROUP_MOUNT, setup.jobsParent, id);
    mkdirSync(leafPath);
    const orphan = spawn("sh", ["-c", `echo $$ > ${leafPath}/cgroup.procs; exec setsid sleep 1000`], { stdio: "ignore", detached: true });
    await sleep(500);
    const pids = readFileSync(join(leafPath, "cgroup.procs"), "utf8").trim().split("\n").map(Number);
    expect(pids).to.have.length(1);
    mkdirSync(join(state.path, "jobs", id), { recursive: true });
    writeFileSync(join(state.path, "jobs", id, "job.json"), JSON.stringify({
      id, owner: "t", command: "sleep", args: ["1000"], state: "RUNNING", exitCode: null, signal: null, pid: 999999,
      startTime: new Date().toISOString(), gracePeriodMs: 1000, limits: NO_LIMITS, outputBytes: 0, outputDroppedBytes: 0,
    }));
    const manager = await JobManager.open({
      stateDir: state.path, defaultGracePeriodMs: 1000, outputCapBytes: MiB, maxConcurrentJobs: 5,
      retention: { maxFinishedJobs: 10, maxAgeMs: 3600_000 },
      placement: new Placement({ cgroups: setup, bestEffortLimits: false, swap: false, oomGroup: true }),
    });
    try {
      expect(manager.status(id)).to.include({ state: "STOPPED", reason: "Lost" });
      expect(manager.status(id).message).to.match(/what was left of the job was killed/);
      expect(isAlive(pids[0])).to.equal(false);
      expect(existsSync(leafPath)).to.equal(false);
      orphan.unref();
    } finally {
      await manager.shutdown(0);
      state.cleanup();
    }
  });
});
