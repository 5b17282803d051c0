// agent/specs/reconciler.ts and spec-runner.ts against a job library whose
// jobs end and stop when the test says (FakeJobs), with the real SpecStore on
// disk: identities across delete and re-create, restarts of the agent in the
// middle of a back-off or a replace, file specs across re-lists and invalid
// files. (The end-to-end suites run the same against real processes.)
import { expect } from "chai";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigFileError } from "../../../agent/config/load.js";
import type { JobRecord } from "../../../agent/jobs/record.js";
import { Reconciler } from "../../../agent/specs/reconciler.js";
import type { SpecJobs } from "../../../agent/specs/spec-runner.js";
import { SpecStore } from "../../../agent/specs/spec-store.js";
import { DEFAULT_BACKOFF, type JobSpec, type SpecSource } from "../../../agent/specs/spec.js";
import { tempDir } from "../../helpers/tmp.js";
import { eventually } from "../../helpers/wait.js";

/** Jobs that run until end() or stop(); with a gate set, stop() waits for it (a grace period that lasts until the test lets go). */
class FakeJobs implements SpecJobs {
  readonly records = new Map<string, JobRecord>();
  private readonly waiters = new Map<string, ((record: JobRecord) => void)[]>();
  private next = 0;
  starts = 0;
  /** Each stop asked for, with the message it gave. */
  readonly stops: { id: string; message?: string }[] = [];
  gate?: Promise<void>;
  /** With a start gate set, start() waits for it (a start under way). */
  startGate?: Promise<void>;

  async start(owner: string, command: string, args: string[], options: { spec?: JobRecord["spec"] }): Promise<JobRecord> {
    this.starts++;
    const id = `job-${++this.next}`;
    await this.startGate;
    const record = {
      id, owner, command, args, state: "RUNNING", exitCode: null, signal: null, startTime: new Date().toISOString(),
      gracePeriodMs: 0, limits: {}, outputBytes: 0, outputDroppedBytes: 0, spec: options.spec,
    } as unknown as JobRecord;
    this.records.set(id, record);
    return { ...record };
  }

  end(id: string, fields: Partial<JobRecord>): void {
    const record = this.records.get(id)!;
    Object.assign(record, { endTime: new Date().toISOString() }, fields);
    for (const resolve of this.waiters.get(id) ?? []) resolve({ ...record });
    this.waiters.delete(id);
  }

  async stop(id: string, _grace?: number, why: { message?: string } = {}): Promise<JobRecord> {
    this.stops.push({ id, message: why.message });
    const record = this.records.get(id)!;
    if (record.state === "RUNNING") {
      await this.gate;
      if (record.state === "RUNNING") this.end(id, { state: "STOPPED", reason: "Stopped", signal: "SIGTERM" });
    }
    return { ...record };
  }

  wait(id: string): Promise<JobRecord> {
    const record = this.records.get(id)!;
    if (record.state !== "RUNNING") return Promise.resolve({ ...record });
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
  }

  list(): JobRecord[] {
    return [...this.records.values()].map((record) => ({ ...record }));
  }

  running(): JobRecord[] {
    return this.list().filter((record) => record.state === "RUNNING");
  }
}

function spec(name: string, fields: Partial<JobSpec> = {}): JobSpec {
  return {
    name, labels: {}, command: "/bin/sleep", args: ["1000"], limits: {} as JobSpec["limits"], restartPolicy: "Always",
    backoff: { ...DEFAULT_BACKOFF }, restartPreventExitCodes: [], ...fields,
  };
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const api = (owner: string): SpecSource => ({ kind: "api", owner });
const FILE = "/etc/jobworker/jobs.d/web.yaml";

describe("specs/reconciler", () => {
  let dir: ReturnType<typeof tempDir>;
  let jobs: FakeJobs;
  const open: Reconciler[] = [];

  async function agent(): Promise<Reconciler> {
    const store = new SpecStore(dir.path);
    const reconciler = await Reconciler.open({
      ctx: { jobs, limitsFor: (limits) => limits, check: () => {}, save: (state) => store.save(state), restarted: () => {} },
      store,
      jobs: () => jobs.list(),
    });
    open.push(reconciler);
    return reconciler;
  }

  const running = (r: Reconciler, name: string) => eventually(`${name} running`, () => r.status(name).ready && r.status(name));

  beforeEach(() => {
    dir = tempDir();
    jobs = new FakeJobs();
  });
  afterEach(async () => {
    for (const reconciler of open.splice(0)) await reconciler.close();
    dir.cleanup();
  });

  it("a spec deleted and created again is a new spec: it starts a run of its own, whatever the old one's end", async () => {
    const r = await agent();
    await r.apply([{ spec: spec("x", { restartPolicy: "OnFailure" }), source: api("alice") }]);
    const first = await running(r, "x");
    await r.delete("x");
    expect(await r.apply([{ spec: spec("x", { restartPolicy: "OnFailure" }), source: api("alice") }])).to.deep.equal(["created"]);
    const second = await running(r, "x");
    expect(second.uid).to.not.equal(first.uid);
    expect(second.currentJobId).to.not.equal(first.currentJobId);
    expect(second.runs, "runs of the new spec").to.equal(1);
  });

  it("another owner's spec of the same name, applied while the old one's run is stopping, takes nothing of it", async () => {
    const r = await agent();
    await r.apply([{ spec: spec("z", { restartPolicy: "Never" }), source: api("alice") }]);
    const alices = (await running(r, "z")).currentJobId!;
    const stopping = gate();
    jobs.gate = stopping.promise;
    const deleting = r.delete("z");
    await r.apply([{ spec: spec("z", { restartPolicy: "Never" }), source: api("bob") }]);
    const bobs = await running(r, "z");
    expect(bobs.owner).to.equal("bob");
    expect(bobs.currentJobId).to.not.equal(alices);
    expect(jobs.records.get(bobs.currentJobId!)!.owner).to.equal("bob");
    stopping.open();
    await deleting;
    expect(r.status("z")).to.include({ currentJobId: bobs.currentJobId, ready: true, phase: "Running" });
  });

  it("keeps a back-off decided before an agent restart to its time, instead of counting the end again", async () => {
    let r = await agent();
    await r.apply([{ spec: spec("b", { restartPolicy: "OnFailure", backoff: { initialMs: 60_000, maxMs: 600_000, resetAfterMs: 600_000 } }), source: api("alice") }]);
    jobs.end((await running(r, "b")).currentJobId!, { state: "EXITED", reason: "Error", exitCode: 1 });
    const before = await eventually("backing off", () => r.status("b").nextRestartAt);
    await r.close();
    r = await agent();
    const after = await eventually("backing off again", () => r.status("b").nextRestartAt);
    expect(after, "the same restart time").to.equal(before);
    expect(r.status("b").phase).to.equal("CrashLoopBackOff");
  });

  it("saves a version it answers configured for before the old run has stopped, so an agent restart keeps it", async () => {
    let r = await agent();
    await r.apply([{ spec: spec("c"), source: api("alice") }]);
    await running(r, "c");
    const stopping = gate();
    jobs.gate = stopping.promise;
    expect(await r.apply([{ spec: spec("c", { args: ["2000"] }), source: api("alice") }])).to.deep.equal(["configured"]);
    expect(JSON.parse(readFileSync(join(dir.path, "specs", "c.json"), "utf8")).spec.args, "on disk when answered").to.deep.equal(["2000"]);
    await r.close(); // the agent goes away within the old run's grace period
    stopping.open();
    r = await agent();
    const after = await eventually("c runs the new version", () => r.status("c").ready && jobs.records.get(r.status("c").currentJobId!)!.args[0] === "2000" && r.status("c"));
    expect(after.spec.args).to.deep.equal(["2000"]);
    expect(jobs.running().map((job) => job.args), "only the new version runs").to.deep.equal([["2000"]]);
  });

  it("answers an Apply while an earlier replace still waits out the old run's grace period", async () => {
    const r = await agent();
    await r.apply([{ spec: spec("e"), source: api("alice") }]);
    await running(r, "e");
    const stopping = gate();
    jobs.gate = stopping.promise;
    expect(await r.apply([{ spec: spec("e", { args: ["1"] }), source: api("alice") }])).to.deep.equal(["configured"]);
    // The old run has not stopped (the gate is shut): this Apply must not wait for it.
    expect(await r.apply([{ spec: spec("e", { args: ["2"] }), source: api("alice") }])).to.deep.equal(["configured"]);
    stopping.open();
    await eventually("e runs version 2", () => r.status("e").ready && jobs.records.get(r.status("e").currentJobId!)!.args[0] === "2");
    expect(jobs.running().map((job) => job.args), "version 1 never ran alongside").to.deep.equal([["2"]]);
  });

  it("does not run a file spec again at each re-list once it has ended for good", async () => {
    const r = await agent();
    const once = spec("web", { restartPolicy: "Never" });
    await r.syncFiles(new Map([[FILE, [once]]]));
    jobs.end((await running(r, "web")).currentJobId!, { state: "EXITED", reason: "Completed", exitCode: 0 });
    await eventually("completed", () => r.status("web").phase === "Completed");
    for (let i = 0; i < 3; i++) await r.syncFiles(new Map([[FILE, [{ ...once }]]]));
    expect(jobs.starts, "starts").to.equal(1);
    expect(r.status("web").phase).to.equal("Completed");
  });

  it("keeps the runs of a file that is invalid when the agent starts, at the version saved before", async () => {
    let r = await agent();
    await r.syncFiles(new Map([[FILE, [spec("web")]]]));
    const id = (await running(r, "web")).currentJobId!;
    await r.close();
    r = await agent();
    await r.syncFiles(new Map([[FILE, new ConfigFileError(FILE, ["line 7: /spec/colour: unknown key (not in the schema)"])]]));
    const resumed = await running(r, "web");
    expect(resumed.currentJobId, "the same job, adopted").to.equal(id);
    expect(resumed.message).to.match(/web\.yaml was rejected, so the last good version runs: line 7/);
    expect(jobs.records.get(id)!.state).to.equal("RUNNING");
  });

  it("replaces the run of a file spec whose file changed while no agent ran", async () => {
    let r = await agent();
    await r.syncFiles(new Map([[FILE, [spec("web")]]]));
    const old = (await running(r, "web")).currentJobId!;
    await r.close();
    r = await agent();
    await r.syncFiles(new Map([[FILE, [spec("web", { args: ["2000"] })]]]));
    const now = await eventually("the new version runs", () => r.status("web").ready && r.status("web").currentJobId !== old && r.status("web"));
    expect(jobs.records.get(old)!.state).to.equal("STOPPED");
    expect(jobs.records.get(now.currentJobId!)!.args).to.deep.equal(["2000"]);
    expect(now.runs, "run numbers go on").to.equal(2);
  });

  it("stops the runs of file specs whose files are gone when the agent starts", async () => {
    let r = await agent();
    await r.syncFiles(new Map([[FILE, [spec("web")]]]));
    const id = (await running(r, "web")).currentJobId!;
    await r.close();
    r = await agent();
    await r.syncFiles(new Map());
    await eventually("its job stopped", () => jobs.records.get(id)!.state === "STOPPED");
    expect(r.list()).to.deep.equal([]);
    expect(jobs.stops.find((s) => s.id === id)?.message).to.equal("its spec web's manifest file is gone");
  });

  it("a spec deleted while its run waits out its grace period stays deleted across an agent restart, and the next agent stops that run", async () => {
    let r = await agent();
    await r.apply([{ spec: spec("d"), source: api("alice") }]); // Always: a restart would bring the run back
    const id = (await running(r, "d")).currentJobId!;
    const stopping = gate();
    jobs.gate = stopping.promise;
    const deleting = r.delete("d");
    await eventually("the stop asked for", () => jobs.stops.some((s) => s.id === id));
    expect(existsSync(join(dir.path, "specs", "d.json")), "the state is gone before the run has stopped").to.equal(false);
    await r.close(); // the agent goes away within the run's grace period
    r = await agent();
    await r.syncFiles(new Map());
    expect(r.list(), "no spec came back").to.deep.equal([]);
    expect(jobs.stops.filter((s) => s.id === id).map((s) => s.message)).to.deep.equal(["its spec d was deleted", "its spec d was deleted"]);
    stopping.open();
    await deleting;
    expect(jobs.records.get(id)!.state).to.equal("STOPPED");
    expect(jobs.starts, "no run started after the delete").to.equal(1);
  });

  it("a spec deleted while its start is under way saves nothing after: the next owner's spec of the name is the one on disk", async () => {
    const r = await agent();
    const starting = gate();
    jobs.startGate = starting.promise;
    await r.apply([{ spec: spec("s"), source: api("alice") }]);
    await eventually("the start under way", () => jobs.starts === 1);
    const deleting = r.delete("s");
    jobs.startGate = undefined;
    await r.apply([{ spec: spec("s"), source: api("bob") }]);
    const bobs = await running(r, "s");
    starting.open(); // alice's start finishes now, after bob's spec was saved
    await deleting;
    await r.close(); // every save has landed
    const saved = JSON.parse(readFileSync(join(dir.path, "specs", "s.json"), "utf8"));
    expect(saved).to.deep.include({ uid: bobs.uid, source: { kind: "api", owner: "bob" } });
    expect(jobs.running().map((job) => job.owner), "alice's run stopped, bob's runs").to.deep.equal(["bob"]);
  });

  it("a name applied through the API while a scan is under way stays the API's: the file's spec of that name is ignored", async () => {
    const r = await agent();
    const starting = gate();
    jobs.startGate = starting.promise;
    const other = "/etc/jobworker/jobs.d/a.yaml";
    // Two files: the scan takes a.yaml first, and awaits its spec's save and start before it reaches web.yaml.
    const scanning = r.syncFiles(new Map<string, JobSpec[]>([[other, [spec("a")]], [FILE, [spec("web")]]]));
    await r.apply([{ spec: spec("web"), source: api("alice") }]);
    starting.open();
    await scanning;
    expect(r.status("web").source).to.deep.equal(api("alice"));
    expect(r.status("web").owner).to.equal("alice");
    expect(r.status("a").source).to.deep.equal({ kind: "file", path: other });
  });

  it("a scan under way when the agent begins to go away starts nothing more", async () => {
    const r = await agent();
    const other = "/etc/jobworker/jobs.d/a.yaml";
    const scanning = r.syncFiles(new Map<string, JobSpec[]>([[other, [spec("a")]], [FILE, [spec("web")]]]));
    await r.close(); // while the scan awaits a.yaml's save
    await scanning;
    expect(jobs.starts, "starts").to.equal(0);
    expect(r.list().map((s) => s.name), "web never taken on").to.deep.equal(["a"]);
  });

  it("leaves running the jobs of a spec whose saved state cannot be read, instead of taking them for orphans", async () => {
    mkdirSync(join(dir.path, "specs"), { recursive: true });
    writeFileSync(join(dir.path, "specs", "x.json"), "{ not json");
    const job = await jobs.start("alice", "/bin/sleep", ["1000"], { spec: { name: "x", uid: "an-unreadable-spec", run: 1, hash: "h" } });
    const r = await agent();
    await r.syncFiles(new Map());
    expect(jobs.stops, "stops").to.deep.equal([]);
    expect(jobs.records.get(job.id)!.state).to.equal("RUNNING");
    expect(r.list()).to.deep.equal([]);
  });

  it("a DeleteSpec whose state cannot be removed fails, saying so, after stopping the run as asked", async () => {
    const r = await agent();
    await r.apply([{ spec: spec("g"), source: api("alice") }]);
    const id = (await running(r, "g")).currentJobId!;
    const state = join(dir.path, "specs", "g.json");
    // The last save (run 1 started) has landed: nothing else writes it now.
    await eventually("g's state saved with its run", () => existsSync(state) && JSON.parse(readFileSync(state, "utf8")).runs === 1);
    // Something rm without recursion cannot remove, where the state was.
    rmSync(state);
    mkdirSync(state);
    writeFileSync(join(state, "inside"), "");
    const err = await r.delete("g").then(() => undefined, (e: Error) => e);
    expect(err, "the delete fails").to.be.instanceOf(Error);
    expect(jobs.records.get(id)!.state, "its run was stopped").to.equal("STOPPED");
  });

  it("refuses Apply and DeleteSpec UNAVAILABLE once the agent is going away", async () => {
    const r = await agent();
    await r.apply([{ spec: spec("u"), source: api("alice") }]);
    await r.close();
    for (const attempt of [() => r.apply([{ spec: spec("v"), source: api("alice") }]), () => r.delete("u")]) {
      const err = await attempt().then(() => undefined, (e: { code?: string; message: string }) => e);
      expect(err?.code).to.equal("UNAVAILABLE");
      expect(err?.message).to.match(/shutting down/);
    }
    expect(jobs.starts).to.equal(1);
  });
});
