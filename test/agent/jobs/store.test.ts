// JobStore against a real state directory in a temporary directory: the
// layout and modes, saves that land whole and in order (and fail without
// harm), loading, and removal that never recurses through a job's work/.
import { expect } from "chai";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newJobId } from "../../../agent/jobs/ids.js";
import { NO_LIMITS, type JobRecord } from "../../../agent/jobs/record.js";
import { diskFull, JobStore } from "../../../agent/jobs/store.js";
import { tempDir } from "../../helpers/tmp.js";

function record(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id: newJobId(), owner: "alice", command: "echo", args: ["hi"], state: "STARTED", exitCode: null, signal: null,
    startTime: "2026-12-07T12:00:00.000Z", gracePeriodMs: 10_000, limits: NO_LIMITS, outputBytes: 0, outputDroppedBytes: 0,
    ...overrides,
  };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe("jobs/store", () => {
  let dir: ReturnType<typeof tempDir>;
  let store: JobStore;
  beforeEach(async () => {
    dir = tempDir();
    store = new JobStore(dir.path);
    await store.init();
  });
  afterEach(() => dir.cleanup());

  const saved = (id: string) => JSON.parse(readFileSync(join(store.jobDir(id), "job.json"), "utf8")) as JobRecord;

  it("lays a job out under <stateDir>/jobs/<id>/: job.json, output, work/", () => {
    const id = newJobId();
    expect(store.root).to.equal(join(dir.path, "jobs"));
    expect(store.jobDir(id)).to.equal(join(dir.path, "jobs", id));
    expect(store.outputPath(id)).to.equal(join(dir.path, "jobs", id, "output"));
    expect(store.workDir(id)).to.equal(join(dir.path, "jobs", id, "work"));
  });

  it("init: jobs/ is 0711 (traversable, not listable) whatever the umask, and init again changes nothing", async () => {
    const old = process.umask(0o077);
    try {
      const other = new JobStore(join(dir.path, "other"));
      await other.init();
      expect(mode(other.root)).to.equal(0o711);
    } finally {
      process.umask(old);
    }
    await store.init();
    expect(mode(store.root)).to.equal(0o711);
  });

  it("create: the job's directory 0711 and its work/ 0700, the agent's", async () => {
    const id = newJobId();
    await store.create(id);
    expect(mode(store.jobDir(id))).to.equal(0o711);
    expect(mode(store.workDir(id))).to.equal(0o700);
    expect(statSync(store.workDir(id)).uid).to.equal(process.getuid!());
  });

  it("create for another user: the directory is the agent's with the job's group, 0710; work/ is the job user's", async function () {
    if (process.getuid?.() !== 0) this.skip(); // chown needs root
    const id = newJobId();
    await store.create(id, { uid: 61234, gid: 61235 });
    expect(mode(store.jobDir(id))).to.equal(0o710);
    expect(statSync(store.jobDir(id))).to.include({ uid: 0, gid: 61235 });
    expect(mode(store.workDir(id))).to.equal(0o700);
    expect(statSync(store.workDir(id))).to.include({ uid: 61234, gid: 61235 });
  });

  it("create of an id that exists already fails (EEXIST): a job's directory is never shared", async () => {
    const id = newJobId();
    await store.create(id);
    const err = await store.create(id).then(() => undefined, (e: NodeJS.ErrnoException) => e);
    expect(err?.code).to.equal("EEXIST");
  });

  describe("save", () => {
    it("writes job.json whole, mode 0600, with no temporary file left", async () => {
      const job = record();
      await store.create(job.id);
      await store.save(job);
      expect(saved(job.id)).to.deep.equal(job);
      expect(mode(join(store.jobDir(job.id), "job.json"))).to.equal(0o600);
      expect(readdirSync(store.jobDir(job.id)).sort()).to.deep.equal(["job.json", "work"]);
    });

    it("saves the record as it was when save() was called, not as it is when the write happens", async () => {
      const job = record();
      await store.create(job.id);
      const saving = store.save(job);
      job.state = "RUNNING";
      await saving;
      expect(saved(job.id).state).to.equal("STARTED");
    });

    it("saves of one job land in the order they were made, not awaited in between; flush() waits for all", async () => {
      const job = record();
      await store.create(job.id);
      for (const state of ["STARTED", "RUNNING", "STOPPED"] as const) void store.save({ ...job, state });
      await store.flush();
      expect(saved(job.id).state).to.equal("STOPPED");
    });

    it("a failed save rejects, leaves the previous record whole, and does not stop the next save", async () => {
      const job = record();
      await store.create(job.id);
      await store.save(job);
      mkdirSync(join(store.jobDir(job.id), "job.json.tmp")); // where the write goes first: now it cannot
      const err = await store.save({ ...job, state: "RUNNING" }).then(() => undefined, (e: NodeJS.ErrnoException) => e);
      expect(err?.code).to.equal("EISDIR");
      expect(saved(job.id)).to.deep.equal(job);
      rmdirSync(join(store.jobDir(job.id), "job.json.tmp"));
      await store.save({ ...job, state: "EXITED" });
      expect(saved(job.id).state).to.equal("EXITED");
    });

    it("a save for a job whose directory is gone rejects (ENOENT), and flush() still resolves", async () => {
      const err = await store.save(record()).then(() => undefined, (e: NodeJS.ErrnoException) => e);
      expect(err?.code).to.equal("ENOENT");
      await store.flush();
    });
  });

  it("diskFull: ENOSPC and EDQUOT become RESOURCE_EXHAUSTED naming the full state directory; other errors are not its business", () => {
    for (const code of ["ENOSPC", "EDQUOT"]) {
      const mapped = diskFull(Object.assign(new Error(`${code}: no space left on device, write`), { code }));
      expect(mapped?.code).to.equal("RESOURCE_EXHAUSTED");
      expect(mapped?.message).to.equal(`the state directory is full: ${code}: no space left on device, write`);
    }
    expect(diskFull(Object.assign(new Error("EIO"), { code: "EIO" }))).to.equal(undefined);
    expect(diskFull(new Error("no code"))).to.equal(undefined);
  });

  describe("loadAll", () => {
    it("returns every readable record, reports the unreadable ones, and ignores what is not a job's directory", async () => {
      const good = [record(), record({ state: "EXITED", exitCode: 0 })];
      for (const job of good) {
        await store.create(job.id);
        await store.save(job);
      }
      const malformed = newJobId();
      await store.create(malformed);
      writeFileSync(join(store.jobDir(malformed), "job.json"), "{ half a rec");
      const missing = newJobId();
      await store.create(missing);
      mkdirSync(join(store.root, "not-a-job-id"));
      writeFileSync(join(store.root, "stray-file"), "");

      const unreadable: string[] = [];
      const loaded = await store.loadAll((id) => unreadable.push(id));
      expect(loaded.map((r) => r.id).sort()).to.deep.equal(good.map((r) => r.id).sort());
      expect(unreadable.sort()).to.deep.equal([malformed, missing].sort());
      expect(existsSync(store.jobDir(malformed)), "left on disk").to.equal(true);
    });

    it("an empty state directory has no jobs", async () => {
      expect(await store.loadAll(() => expect.fail("nothing to report"))).to.deep.equal([]);
    });
  });

  describe("remove", () => {
    it("removes a finished job's files and directory; removing it again is not an error", async () => {
      const job = record({ state: "EXITED" });
      await store.create(job.id);
      await store.save(job);
      writeFileSync(store.outputPath(job.id), "output");
      rmdirSync(store.workDir(job.id)); // the monitor removes work/ when the job ends
      await store.remove(job.id);
      expect(existsSync(store.jobDir(job.id))).to.equal(false);
      await store.remove(job.id);
    });

    it("takes an empty work/ with it", async () => {
      const id = newJobId();
      await store.create(id);
      await store.remove(id);
      expect(existsSync(store.jobDir(id))).to.equal(false);
    });

    it("refuses while work/ holds anything (never a recursive removal through the job's files), and leaves the job whole", async () => {
      const job = record({ state: "EXITED" });
      await store.create(job.id);
      await store.save(job);
      writeFileSync(join(store.workDir(job.id), "left-behind"), "");
      const err = await store.remove(job.id).then(() => undefined, (e: Error) => e);
      expect(err?.message).to.equal(`the working directory of job ${job.id} is not empty; not removing it as the agent`);
      expect(saved(job.id)).to.deep.equal(job);
      expect(existsSync(join(store.workDir(job.id), "left-behind"))).to.equal(true);
    });

    it("waits for the job's save under way, which then cannot bring the record back", async () => {
      const job = record({ state: "EXITED" });
      await store.create(job.id);
      const saving = store.save(job);
      await store.remove(job.id);
      await saving;
      expect(existsSync(store.jobDir(job.id))).to.equal(false);
    });
  });
});
