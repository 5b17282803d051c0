// The pids controller against a fake cgroupfs seeded with a 6.1 kernel's file formats.
import { expect } from "chai";
import type { CgroupFs } from "../../../../agent/cgroups/cgroupfs.js";
import { setPids, statPids } from "../../../../agent/cgroups/controllers/pids.js";
import { fakeCgroupTree, seed } from "../../../helpers/fake-cgroups.js";

describe("cgroups/controllers/pids (fake cgroupfs)", () => {
  let dir: ReturnType<typeof fakeCgroupTree>["dir"];
  let fs: CgroupFs;
  let read: ReturnType<typeof fakeCgroupTree>["read"];
  beforeEach(() => ({ dir, fs, read } = fakeCgroupTree()));
  afterEach(() => dir.cleanup());

  it("pids: pids.max and the current and peak counts", async () => {
    seed(dir.path, "j", { "pids.max": "max\n", "pids.current": "3\n", "pids.peak": "17\n" });
    await setPids(fs, "j", 100);
    expect(read("j", "pids.max")).to.equal("100");
    expect(await statPids(fs, "j")).to.deep.equal({ current: 3, peak: 17 });
  });
});
