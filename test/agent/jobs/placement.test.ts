// A job record's limits become the cgroup library's CgroupLimits in one place,
// field by field (the io limits regrouped under io).
import { expect } from "chai";
import { cgroupLimits } from "../../../agent/jobs/placement.js";

describe("cgroupLimits", () => {
  it("maps every ResourceLimits field to its CgroupLimits field", () => {
    const limits = { cpuCores: 1.5, memoryBytes: 2, ioReadBps: 3, ioWriteBps: 4, ioReadIops: 5, ioWriteIops: 6, pids: 7 };
    expect(cgroupLimits(limits)).to.deep.equal({
      cpuCores: 1.5,
      memoryBytes: 2,
      pids: 7,
      io: { readBps: 3, writeBps: 4, readIops: 5, writeIops: 6 },
    });
  });
});
