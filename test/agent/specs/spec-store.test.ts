// SpecStore against a real state directory: one JSON file per spec, saved
// whole and in order, loaded back, removed; nothing outside <stateDir>/specs/.
import { expect } from "chai";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NO_LIMITS } from "../../../agent/jobs/record.js";
import { SpecStore, type SpecState } from "../../../agent/specs/spec-store.js";
import { DEFAULT_BACKOFF, specHash, type JobSpec } from "../../../agent/specs/spec.js";
import { tempDir } from "../../helpers/tmp.js";

function state(name: string, overrides: Partial<SpecState> = {}): SpecState {
  const spec: JobSpec = { name, labels: {}, command: "/bin/true", args: [], limits: NO_LIMITS, restartPolicy: "Always", backoff: { ...DEFAULT_BACKOFF }, restartPreventExitCodes: [] };
  return {
    name, uid: "3d1c1f5e-4c1a-4d2b-9a7e-2b1a3c4d5e6f", source: { kind: "api", owner: "alice" }, spec, hash: specHash(spec),
    createdAt: "2026-12-07T12:00:00.000Z", runs: 0, restarts: 0, consecutive: 0, ...overrides,
  };
}

describe("specs/spec-store", () => {
  let dir: ReturnType<typeof tempDir>;
  let store: SpecStore;
  const specsDir = () => join(dir.path, "specs");
  const onDisk = (name: string) => JSON.parse(readFileSync(join(specsDir(), `${name}.json`), "utf8")) as SpecState;
  beforeEach(async () => {
    dir = tempDir();
    store = new SpecStore(dir.path);
    await store.init();
  });
  afterEach(() => dir.cleanup());

  it("init makes <stateDir>/specs, 0700; an empty one holds no specs", async () => {
    expect(statSync(specsDir()).mode & 0o777).to.equal(0o700);
    expect(await store.loadAll(() => expect.fail("nothing to report"))).to.deep.equal([]);
  });

  it("saves each spec whole to <name>.json, mode 0600, and loads every one back", async () => {
    const web = state("web", { runs: 3, lastEnd: { jobId: "j", run: 3, hash: "h", state: "EXITED", reason: "Error", exitCode: 1, signal: null, startTime: "2026-12-07T12:00:00.000Z" } });
    const files = state("from-file", { source: { kind: "file", path: "/etc/jobworker/jobs.d/a.yaml" } });
    await store.save(web);
    await store.save(files);
    expect(onDisk("web")).to.deep.equal(web);
    expect(statSync(join(specsDir(), "web.json")).mode & 0o777).to.equal(0o600);
    const loaded = await store.loadAll(() => expect.fail("nothing to report"));
    expect(loaded.sort((a, b) => a.name.localeCompare(b.name))).to.deep.equal([files, web]);
  });

  it("saves and removals of one spec land in the order they were made; flush() waits for all", async () => {
    for (const runs of [1, 2, 3]) void store.save(state("web", { runs }));
    void store.remove("web");
    void store.save(state("web", { runs: 4 }));
    await store.flush();
    expect(onDisk("web").runs).to.equal(4);
    void store.remove("web");
    await store.flush();
    expect(existsSync(join(specsDir(), "web.json"))).to.equal(false);
  });

  it("removing a spec that has no file is not an error", async () => {
    await store.remove("never-saved");
  });

  it("loadAll reports unreadable files and skips what is not a spec's file", async () => {
    await store.save(state("good"));
    writeFileSync(join(specsDir(), "broken.json"), "{ not json");
    writeFileSync(join(specsDir(), "good.json.tmp"), "{}"); // a save cut short
    writeFileSync(join(specsDir(), "Not_A_Name.json"), "{}");
    writeFileSync(join(specsDir(), "notes.txt"), "");
    mkdirSync(join(specsDir(), "subdir"));
    const unreadable: string[] = [];
    const loaded = await store.loadAll((file) => unreadable.push(file));
    expect(loaded.map((s) => s.name)).to.deep.equal(["good"]);
    expect(unreadable).to.deep.equal(["broken.json"]);
  });

  it("a name that is not a spec name never becomes a path: save and remove refuse it", async () => {
    for (const name of ["../escape", "a/b", "", "UPPER", "-dash-first"]) {
      const saveErr = await store.save(state(name)).then(() => undefined, (e: Error) => e);
      expect(saveErr?.message, name).to.equal(`not a spec name: ${JSON.stringify(name)}`);
      const removeErr = await store.remove(name).then(() => undefined, (e: Error) => e);
      expect(removeErr?.message, name).to.equal(`not a spec name: ${JSON.stringify(name)}`);
    }
    expect(readdirSync(dir.path)).to.deep.equal(["specs"]);
    expect(readdirSync(specsDir())).to.deep.equal([]);
  });
});
