// Host-wide uid claims: the claim directory's safety check and the hints the
// uid pool reads. (The claims themselves are the monitor's locks: monitor.test.ts.)
import { expect } from "chai";
import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureClaimDir, isClaimedElsewhere, looksClaimed } from "../../../agent/jobs/uid-claims.js";
import { tempDir } from "../../helpers/tmp.js";

describe("jobs/uid-claims", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());

  it("ensureClaimDir creates the directory, 0700, and accepts it again", async () => {
    const claims = join(dir.path, "run/jobworker/uids");
    await ensureClaimDir(claims);
    expect(statSync(claims).mode & 0o777).to.equal(0o700);
    await ensureClaimDir(claims);
  });

  it("ensureClaimDir refuses a directory others may write to, saying why", async () => {
    const claims = join(dir.path, "uids");
    mkdirSync(claims);
    chmodSync(claims, 0o777);
    const err = await ensureClaimDir(claims).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.equal(`uid claim directory ${claims} must belong to the agent's user and be writable by nobody else (it is uid ${process.getuid!()}, mode 777)`);
  });

  it("looksClaimed: a uid whose claim file is there", () => {
    writeFileSync(join(dir.path, "61000"), "");
    expect(looksClaimed(dir.path, 61000)).to.equal(true);
    expect(looksClaimed(dir.path, 61001)).to.equal(false);
  });

  it("isClaimedElsewhere: the monitor's refusal for a uid another job's monitor holds, not its others (jobworker-monitor.c)", () => {
    expect(isClaimedElsewhere("uid-in-use: uid 61000 is claimed by another job's monitor (/run/jobworker/uids/61000)")).to.equal(true);
    for (const message of ["uid-in-use: uid 61000 is user postgres", "uid-in-use: gid 61000 is group video", "uid-in-use: process 4242 already runs as uid 61000"]) {
      expect(isClaimedElsewhere(message), message).to.equal(false);
    }
  });
});
