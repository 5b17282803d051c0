// The one shared user jobs may run as: resolved from a passwd file or uid:gid,
// never root; and the check that jobs can reach the state directory.
import { expect } from "chai";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkJobsCanReach, resolveUser } from "../../../agent/jobs/run-as.js";
import { tempDir } from "../../helpers/tmp.js";

/** The rejection's message, or the credentials as "uid:gid name". */
async function resolved(spec: string, passwd: string): Promise<string> {
  return resolveUser(spec, passwd).then(
    (user) => `${user.uid}:${user.gid} ${user.name}`,
    (err: Error) => err.message,
  );
}

describe("jobs/run-as", () => {
  let dir: ReturnType<typeof tempDir>;
  let passwd: string;
  beforeEach(() => {
    dir = tempDir();
    passwd = join(dir.path, "passwd");
    writeFileSync(passwd, "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\njobs:x:1500:1600::/home/jobs:/bin/sh\n");
  });
  afterEach(() => dir.cleanup());

  it("a name from the passwd file, with its primary group", async () => {
    expect(await resolved("jobs", passwd)).to.equal("1500:1600 jobs");
    expect(await resolved("nobody", passwd)).to.equal("65534:65534 nobody");
  });

  it("uid:gid as given, for users no passwd file names", async () => {
    expect(await resolved("2000:3000", passwd)).to.equal("2000:3000 2000:3000");
  });

  it("refuses a name the file lacks, saying what works", async () => {
    expect(await resolved("ghost", passwd)).to.equal(`run-as user "ghost" not found in ${passwd} (use a name from it, or "uid:gid")`);
  });

  it("refuses root and (uid_t)-1, by name or by number", async () => {
    const unprivileged = (name: string) => `run-as user "${name}" must be unprivileged: uid and gid between 1 and 4294967294`;
    for (const spec of ["root", "0:0", "1000:0", "0:1000", "4294967295:1000", "1000:4294967295"]) {
      expect(await resolved(spec, passwd), spec).to.equal(unprivileged(spec));
    }
  });

  it("checkJobsCanReach: passes when every directory above the state directory lets others through", async () => {
    const state = join(dir.path, "a", "b", "state");
    mkdirSync(state, { recursive: true });
    for (const d of [dir.path, join(dir.path, "a"), join(dir.path, "a", "b")]) chmodSync(d, 0o711);
    await checkJobsCanReach(state);
  });

  it("checkJobsCanReach: names the first ancestor, from the state directory up, that does not", async () => {
    const state = join(dir.path, "a", "b", "state");
    mkdirSync(state, { recursive: true });
    chmodSync(dir.path, 0o711);
    chmodSync(join(dir.path, "a"), 0o750);
    chmodSync(join(dir.path, "a", "b"), 0o700);
    chmodSync(state, 0o700); // the state directory's own mode is the store's business, not checked here
    const err = await checkJobsCanReach(state).then(() => undefined, (e: Error) => e);
    const b = join(dir.path, "a", "b");
    expect(err?.message).to.equal(
      `jobs cannot reach their working directories: ${b} (above the state directory ${state}) is mode 0700, without search permission for others; allow it (chmod o+x ${b}) or use a state directory elsewhere`,
    );
  });
});
