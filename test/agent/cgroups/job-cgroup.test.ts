// A job's leaf is created from the cgroup library's own CgroupLimits: each
// limit lands in its controller's file, io.max only when an io limit is set.
// (A plain directory stands in for the cgroupfs; the kernel is tested in the VM.)
import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CgroupFs } from "../../../agent/cgroups/cgroupfs.js";
import { JobCgroup } from "../../../agent/cgroups/job-cgroup.js";
import type { CgroupLimits } from "../../../agent/cgroups/limits.js";
import { tempDir } from "../../helpers/tmp.js";

const NO_IO = { readBps: 0, writeBps: 0, readIops: 0, writeIops: 0 };

describe("JobCgroup.create", () => {
  let dir: ReturnType<typeof tempDir>;
  let fs: CgroupFs;
  beforeEach(() => {
    dir = tempDir();
    fs = new CgroupFs(dir.path);
  });
  afterEach(() => dir.cleanup());
  const read = (file: string) => readFileSync(join(dir.path, "jobs", "j1", file), "utf8");

  it("writes each CgroupLimits field to its controller's file, io.max for the given device", async () => {
    const limits: CgroupLimits = { cpuCores: 0.5, memoryBytes: 268435456, pids: 100, io: { readBps: 1048576, writeBps: 0, readIops: 0, writeIops: 50 } };
    const cgroup = await JobCgroup.create(fs, "jobs", "j1", limits, { ioDevice: "254:0", swap: true, oomGroup: true });
    expect(cgroup.path).to.equal("jobs/j1");
    expect(read("cpu.max")).to.equal("50000 100000");
    expect(read("memory.max")).to.equal("268435456");
    expect(read("memory.oom.group")).to.equal("1");
    expect(read("pids.max")).to.equal("100");
    expect(read("io.max")).to.equal("254:0 rbps=1048576 wiops=50");
  });

  it("no limits: every controller says max, and io.max is not written (no device needed)", async () => {
    await JobCgroup.create(fs, "jobs", "j1", { cpuCores: 0, memoryBytes: 0, pids: 0, io: NO_IO }, { swap: true, oomGroup: false });
    expect([read("cpu.max"), read("memory.max"), read("pids.max"), read("memory.oom.group")]).to.deep.equal(["max 100000", "max", "max", "0"]);
    expect(existsSync(join(dir.path, "jobs", "j1", "io.max"))).to.equal(false);
  });
});
