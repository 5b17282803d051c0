import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_UID_RANGE, parseUidRange, uidRangeConflict, UidPool } from "../../../agent/jobs/uid-pool.js";
import { tempDir } from "../../helpers/tmp.js";

describe("UidPool (a uid per job)", () => {
  it("goes round the range, skipping used uids, so a released uid is reused as late as possible", () => {
    const pool = new UidPool({ first: 70000, last: 70002 });
    pool.markUsed(70001);
    expect(pool.allocate()).to.equal(70000);
    expect(pool.allocate()).to.equal(70002);
    pool.release(70000);
    expect(pool.allocate()).to.equal(70000);
    expect(() => pool.allocate()).to.throw(/no free job uid in 70000-70002/).with.property("code", "RESOURCE_EXHAUSTED");
  });

  it("never hands out a quarantined uid again, even once released", () => {
    const pool = new UidPool({ first: 70000, last: 70001 });
    const uid = pool.allocate();
    pool.quarantine(uid);
    pool.release(uid);
    expect(pool.allocate()).to.equal(70001);
    expect(() => pool.allocate()).to.throw(/no free job uid/);
  });

  it("skips uids that look taken by another agent's job while others are free, and falls back to one of them when none is", () => {
    const pool = new UidPool({ first: 70000, last: 70003 });
    const elsewhere = new Set([70000, 70001]);
    const taken = (uid: number) => elsewhere.has(uid);
    expect(pool.allocate(taken)).to.equal(70002);
    expect(pool.allocate(taken)).to.equal(70003);
    expect(pool.allocate(taken)).to.equal(70000); // only hints left: the monitor's claim decides
    elsewhere.delete(70001);
    expect(pool.allocate(taken)).to.equal(70001);
  });

  it("parses FIRST-LAST and refuses ranges into system users or backwards", () => {
    expect(parseUidRange("70000-79999")).to.deep.equal(DEFAULT_UID_RANGE);
    expect(() => parseUidRange("0-100")).to.throw(/1000 <= FIRST/);
    expect(() => parseUidRange("80000-70000")).to.throw(/FIRST-LAST/);
    expect(() => parseUidRange("70000")).to.throw(/FIRST-LAST/);
  });

  it("finds overlaps with /etc/subuid-style ranges and with nobody; the default range has none on this host", async () => {
    const dir = tempDir();
    try {
      const subuid = join(dir.path, "subuid");
      writeFileSync(subuid, "alice:100000:65536\nbob:75000:10\n");
      expect(await uidRangeConflict({ first: 70000, last: 79999 }, [subuid])).to.match(/overlaps bob's subordinate ids 75000-75009/);
      expect(await uidRangeConflict({ first: 70000, last: 74999 }, [subuid])).to.equal(undefined);
      expect(await uidRangeConflict({ first: 65000, last: 66000 }, [])).to.match(/nobody/);
      expect(await uidRangeConflict(DEFAULT_UID_RANGE)).to.equal(undefined);
    } finally {
      dir.cleanup();
    }
  });
});
