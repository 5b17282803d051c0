// CgroupFs against a fake cgroupfs tree. (Real kernel behaviour is tested in the VM: test/vm/.)
import { expect } from "chai";
import { join } from "node:path";
import type { CgroupFs } from "../../../agent/cgroups/cgroupfs.js";
import { fakeCgroupTree } from "../../helpers/fake-cgroups.js";

describe("cgroups/cgroupfs (fake cgroupfs)", () => {
  let dir: ReturnType<typeof fakeCgroupTree>["dir"];
  let fs: CgroupFs;
  beforeEach(() => ({ dir, fs } = fakeCgroupTree()));
  afterEach(() => dir.cleanup());

  it("keeps every access inside its root", () => {
    expect(fs.path("jobs/abc", "cpu.max")).to.equal(join(dir.path, "jobs/abc/cpu.max"));
    expect(() => fs.path("../etc", "passwd")).to.throw(/escapes/);
    expect(() => fs.path("jobs/../../x")).to.throw(/escapes/);
  });
});
