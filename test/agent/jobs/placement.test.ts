// Where a job runs: without cgroup v2 only its process group (limits refused,
// or run best-effort if so configured); with it, a leaf of its own with its
// limits, measured and removed at the end. The leaves here are in a fake
// cgroupfs seeded with a 6.1 kernel's files (test/helpers/fake-cgroups.ts).
import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CgroupFs } from "../../../agent/cgroups/cgroupfs.js";
import { cgroupLimits, NOTHING, Placement } from "../../../agent/jobs/placement.js";
import { NO_LIMITS } from "../../../agent/jobs/record.js";
import { fakeCgroupPlacement } from "../../helpers/fake-cgroups.js";
import { tempDir } from "../../helpers/tmp.js";

const ID = "0b5c9e4e-3f6a-4b1e-9c2d-7a8b9c0d1e2f";
const LIMITS = { ...NO_LIMITS, cpuCores: 0.5, memoryBytes: 268435456, pids: 100 };

/** The refusal's code and message, or "placed". */
async function refusal(placing: Promise<unknown>): Promise<string> {
  return placing.then(
    () => "placed",
    (err: Error & { code?: string }) => `${err.code}: ${err.message}`,
  );
}

describe("jobs/placement", () => {
  it("a job record's limits become the cgroup library's CgroupLimits in one place, field by field (io regrouped)", () => {
    const limits = { cpuCores: 1.5, memoryBytes: 2, ioReadBps: 3, ioWriteBps: 4, ioReadIops: 5, ioWriteIops: 6, pids: 7 };
    expect(cgroupLimits(limits)).to.deep.equal({
      cpuCores: 1.5,
      memoryBytes: 2,
      pids: 7,
      io: { readBps: 3, writeBps: 4, readIops: 5, writeIops: 6 },
    });
  });

  describe("without cgroup v2", () => {
    const unavailable = (bestEffortLimits: boolean) =>
      new Placement({ cgroups: { mode: "unavailable", reason: "this host uses cgroup v1" }, bestEffortLimits, swap: false, oomGroup: true });

    it("a job without limits runs in its process group alone: nothing to place, signal, measure or remove", async () => {
      const placement = unavailable(false);
      expect(placement.mode).to.equal("unavailable");
      expect(placement.unavailableReason).to.equal("this host uses cgroup v1");
      expect(placement.monitorProcs).to.equal(undefined);
      expect(await placement.place(ID, NO_LIMITS, "/w")).to.equal(NOTHING);
      expect(await placement.existing(ID)).to.equal(NOTHING);
    });

    it("limits are refused (FAILED_PRECONDITION, saying why) unless best-effort limits are configured", async () => {
      expect(await refusal(unavailable(false).place(ID, LIMITS, "/w"))).to.equal("FAILED_PRECONDITION: resource limits cannot be enforced: this host uses cgroup v1");
    });

    it("best-effort: the job runs without them, with a warning saying so", async () => {
      const placed = await unavailable(true).place(ID, LIMITS, "/w");
      expect(placed.cgroupDir).to.equal(undefined);
      expect(placed.warning).to.equal("resource limits cannot be enforced: this host uses cgroup v1 (running without them: limits are best-effort)");
    });
  });

  describe("with cgroup v2 (a fake cgroupfs)", () => {
    let dir: ReturnType<typeof tempDir>;
    let placement: Placement;
    beforeEach(() => {
      dir = tempDir();
      placement = fakeCgroupPlacement(dir.path);
    });
    afterEach(() => dir.cleanup());
    const leaf = join("delegated", "jobs", ID);
    const read = (file: string) => readFileSync(join(dir.path, leaf, file), "utf8");

    it("monitors go to the monitors leaf", () => {
      expect(placement.mode).to.equal("v2");
      expect(placement.unavailableReason).to.equal(undefined);
      expect(placement.monitorProcs).to.equal(join(dir.path, "delegated/monitors/cgroup.procs"));
    });

    it("a job gets a leaf of its own under the jobs parent, with its limits written (the OOM killer takes the whole job)", async () => {
      const placed = await placement.place(ID, LIMITS, dir.path);
      expect(placed.cgroupDir).to.equal(join(dir.path, leaf));
      expect(placed.warning).to.equal(undefined);
      expect([read("cpu.max"), read("memory.max"), read("memory.oom.group"), read("pids.max")]).to.deep.equal(["50000 100000", "268435456", "1", "100"]);
    });

    it("an agent restarting finds the leaf of a job it placed, and none for a job without one", async () => {
      await placement.place(ID, NO_LIMITS, dir.path);
      expect((await placement.existing(ID)).cgroupDir).to.equal(join(dir.path, leaf));
      expect(await placement.existing("6f1c1f5e-4c1a-4d2b-9a7e-2b1a3c4d5e6f")).to.equal(NOTHING);
    });

    it("finish(): the job's usage from its leaf's stats, OOM from the kernel's own count, and the leaf removed", async () => {
      const placed = await placement.place(ID, NO_LIMITS, dir.path);
      expect(await placed.stats()).to.deep.include({ pids: { current: 3, peak: undefined } });
      expect(await placed.finish()).to.deep.equal({
        usage: { cpuSeconds: 2.5, cpuUserSeconds: 2, cpuSystemSeconds: 0.5, memoryPeakBytes: 157286400, ioReadBytes: 4096 + 8192, ioWriteBytes: 10485760, oomKills: 1 },
        oomKilled: true,
      });
      expect(existsSync(join(dir.path, leaf))).to.equal(false);
    });

    it("io limits need the block device of the job's disk: on tmpfs they are refused before any leaf is made", async () => {
      const cgroups = { mode: "v2", fs: new CgroupFs(dir.path), root: "delegated", jobsParent: "delegated/jobs", monitors: "delegated/monitors" } as const;
      const io = new Placement({ cgroups, bestEffortLimits: false, swap: false, oomGroup: true, ioDevicePath: "/dev/shm" });
      expect(await refusal(io.place(ID, { ...NO_LIMITS, ioWriteBps: 1048576 }, dir.path))).to.match(/^FAILED_PRECONDITION: no block device behind \/dev\/shm: it is on tmpfs/);
      expect(existsSync(join(dir.path, leaf))).to.equal(false);
    });
  });
});
