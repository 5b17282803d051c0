// The memory controller against a fake cgroupfs seeded with a 6.1 kernel's file formats.
import { expect } from "chai";
import type { CgroupFs } from "../../../../agent/cgroups/cgroupfs.js";
import { setMemory, statMemory } from "../../../../agent/cgroups/controllers/memory.js";
import { fakeCgroupTree, seed } from "../../../helpers/fake-cgroups.js";

const MEMORY_STAT = "anon 104857600\nfile 20971520\nkernel 1048576\nactive_file 4194304\ninactive_file 16777216\nslab 524288\n";
const MEMORY_EVENTS = "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 1\n";

describe("cgroups/controllers/memory (fake cgroupfs)", () => {
  let dir: ReturnType<typeof fakeCgroupTree>["dir"];
  let fs: CgroupFs;
  let read: ReturnType<typeof fakeCgroupTree>["read"];
  beforeEach(() => ({ dir, fs, read } = fakeCgroupTree()));
  afterEach(() => dir.cleanup());

  it("memory: memory.max, swap off, oom.group; working set = current - inactive_file", async () => {
    seed(dir.path, "j", { "memory.max": "max\n", "memory.swap.max": "max\n", "memory.oom.group": "0\n", "memory.current": "125829120\n", "memory.peak": "130023424\n", "memory.stat": MEMORY_STAT, "memory.events": MEMORY_EVENTS });
    await setMemory(fs, "j", 268435456, { swap: false, oomGroup: true });
    expect([read("j", "memory.max"), read("j", "memory.swap.max"), read("j", "memory.oom.group")]).to.deep.equal(["268435456", "0", "1"]);
    expect(await statMemory(fs, "j")).to.deep.equal({ currentBytes: 125829120, workingSetBytes: 125829120 - 16777216, peakBytes: 130023424, oomKills: 1, ooms: 2 });
  });

  it("memory: a kernel without memory.peak and memory.swap.max (no swap accounting)", async () => {
    seed(dir.path, "j", { "memory.max": "max\n", "memory.oom.group": "0\n", "memory.current": "4096\n", "memory.stat": MEMORY_STAT, "memory.events": MEMORY_EVENTS });
    await setMemory(fs, "j", 0, { swap: false, oomGroup: false });
    expect(read("j", "memory.max")).to.equal("max");
    expect((await statMemory(fs, "j")).peakBytes).to.equal(undefined);
  });
});
