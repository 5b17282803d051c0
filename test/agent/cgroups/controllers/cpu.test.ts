// The cpu controller against a fake cgroupfs seeded with a 6.1 kernel's file formats.
import { expect } from "chai";
import type { CgroupFs } from "../../../../agent/cgroups/cgroupfs.js";
import { setCpu, statCpu } from "../../../../agent/cgroups/controllers/cpu.js";
import { fakeCgroupTree, seed } from "../../../helpers/fake-cgroups.js";

const CPU_STAT = "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 40\nnr_throttled 30\nthrottled_usec 1500000\nnr_bursts 0\nburst_usec 0\n";

describe("cgroups/controllers/cpu (fake cgroupfs)", () => {
  let dir: ReturnType<typeof fakeCgroupTree>["dir"];
  let fs: CgroupFs;
  let read: ReturnType<typeof fakeCgroupTree>["read"];
  beforeEach(() => ({ dir, fs, read } = fakeCgroupTree()));
  afterEach(() => dir.cleanup());

  it("cpu: 0.5 cores is cpu.max '50000 100000'; none is 'max'; cpu.stat in seconds", async () => {
    seed(dir.path, "j", { "cpu.max": "max 100000\n", "cpu.stat": CPU_STAT });
    await setCpu(fs, "j", 0.5);
    expect(read("j", "cpu.max")).to.equal("50000 100000");
    await setCpu(fs, "j", 0);
    expect(read("j", "cpu.max")).to.equal("max 100000");
    expect(await statCpu(fs, "j")).to.deep.equal({ usageSeconds: 2.5, userSeconds: 2, systemSeconds: 0.5, periods: 40, throttledPeriods: 30, throttledSeconds: 1.5 });
  });
});
