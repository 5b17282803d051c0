// The io controller against a fake cgroupfs seeded with a 6.1 kernel's file formats.
import { expect } from "chai";
import type { CgroupFs } from "../../../../agent/cgroups/cgroupfs.js";
import { setIo, statIo } from "../../../../agent/cgroups/controllers/io.js";
import { fakeCgroupTree, seed } from "../../../helpers/fake-cgroups.js";

const IO_STAT = "254:0 rbytes=4096 wbytes=10485760 rios=1 wios=160 dbytes=0 dios=0\n7:0 rbytes=8192 wbytes=0 rios=2 wios=0 dbytes=0 dios=0\n";

describe("cgroups/controllers/io (fake cgroupfs)", () => {
  let dir: ReturnType<typeof fakeCgroupTree>["dir"];
  let fs: CgroupFs;
  let read: ReturnType<typeof fakeCgroupTree>["read"];
  beforeEach(() => ({ dir, fs, read } = fakeCgroupTree()));
  afterEach(() => dir.cleanup());

  it("io: io.max for one device with only the keys set; io.stat per device", async () => {
    seed(dir.path, "j", { "io.max": "", "io.stat": IO_STAT });
    await setIo(fs, "j", "254:0", { readBps: 0, writeBps: 10485760, readIops: 0, writeIops: 100 });
    expect(read("j", "io.max")).to.equal("254:0 wbps=10485760 wiops=100");
    expect(await statIo(fs, "j")).to.deep.equal([
      { device: "254:0", readBytes: 4096, writeBytes: 10485760, readOps: 1, writeOps: 160 },
      { device: "7:0", readBytes: 8192, writeBytes: 0, readOps: 2, writeOps: 0 },
    ]);
  });
});
