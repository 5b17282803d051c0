// Declarative jobs against the real agent: specs from a watched manifest
// directory and through Apply, kept running by their restart policies, with
// each run an ordinary job carrying the spec's name and run number.
import { expect } from "chai";
import type * as grpc from "@grpc/grpc-js";
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { WorkerServiceClient } from "../../proto/generated/workerservice/WorkerService.js";
import type { ApplyResponse__Output } from "../../proto/generated/workerservice/ApplyResponse.js";
import type { ListResponse__Output } from "../../proto/generated/workerservice/ListResponse.js";
import type { ListSpecsResponse__Output } from "../../proto/generated/workerservice/ListSpecsResponse.js";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { SpecStatus__Output } from "../../proto/generated/workerservice/SpecStatus.js";
import { startTestAgent, type TestAgent } from "../helpers/agent.js";
import { call, filesFor, readOutput, workerClient } from "../helpers/client.js";
import { tempDir } from "../helpers/tmp.js";
import { eventually } from "../helpers/wait.js";

const SLEEPER = (name: string, extra = "") => `apiVersion: jobworker/v1
kind: Job
metadata: {name: ${name}}
spec:
  command: /bin/sleep
  args: ["1000"]
${extra}`;

function manifest(name: string, script: string, policy: string, extra = "", backoff = "{initial: 300ms, max: 1200ms}"): string {
  return `apiVersion: jobworker/v1
kind: Job
metadata: {name: ${name}}
spec:
  command: /bin/sh
  args: ["-c", ${JSON.stringify(script)}]
  restartPolicy: ${policy}
  backoff: ${backoff}
${extra}`;
}

const ms = (t: { seconds: string; nanos: number } | null | undefined) => (t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6) : NaN);

async function spec(client: WorkerServiceClient, name: string): Promise<SpecStatus__Output> {
  return call<object, SpecStatus__Output>(client, "GetSpec", { name });
}

async function specs(client: WorkerServiceClient): Promise<SpecStatus__Output[]> {
  return (await call<object, ListSpecsResponse__Output>(client, "ListSpecs", {})).specs;
}

async function jobsOf(client: WorkerServiceClient, name: string): Promise<QueryStatusResponse__Output[]> {
  const { jobs } = await call<object, ListResponse__Output>(client, "List", {});
  return jobs.filter((job) => job.specName === name).sort((a, b) => a.specRun - b.specRun);
}

function apply(client: WorkerServiceClient, text: string): Promise<ApplyResponse__Output> {
  return call<object, ApplyResponse__Output>(client, "Apply", { manifest: text, source: "test.yaml" });
}

async function refusal(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  const err = await promise.then(() => undefined, (e: grpc.ServiceError) => e);
  if (!err) throw new Error("expected the call to fail");
  return err;
}

describe("declarative jobs (e2e)", function () {
  this.timeout(120_000);

  describe("the manifest directory", () => {
    let dir: ReturnType<typeof tempDir>;
    let manifests: string;
    let agent: TestAgent;
    let admin: WorkerServiceClient;

    before(async () => {
      dir = tempDir();
      manifests = join(dir.path, "jobs.d");
      mkdirSync(manifests);
      chmodSync(manifests, 0o755);
      const config = join(dir.path, "agent.yaml");
      writeFileSync(config, `apiVersion: jobworker/v1\nkind: AgentConfig\njobs:\n  manifestDir: ${manifests}\n`);
      agent = await startTestAgent({ args: ["--config", config] });
      admin = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
    });

    after(async () => {
      admin?.close();
      await agent?.stop();
      agent?.cleanup();
      dir?.cleanup();
    });

    it("starts the job of a file dropped into the directory at once (the watch, not the 5 s re-list), as system:manifests, labelled with the spec and run 1", async () => {
      const path = join(manifests, "web.yaml");
      // Written elsewhere and renamed in, as a careful operator (or a ConfigMap update) does.
      writeFileSync(join(dir.path, "web.yaml"), SLEEPER("web"));
      const written = Date.now();
      renameSync(join(dir.path, "web.yaml"), path);
      const status = await eventually("web running", async () => (await specs(admin)).find((s) => s.name === "web" && s.ready));
      const [job] = await jobsOf(admin, "web");
      expect(job, "its job").to.include({ JobStatus: "RUNNING", specName: "web", specRun: 1, owner: "system:manifests", id: status.currentJobId });
      // The watch, not the periodic re-list (5 s), started it: typically 150-400 ms here; 2.5 s allows for a loaded machine.
      expect(ms(job!.startTime) - written, "ms from the file to its job").to.be.lessThan(2500);
      expect(status).to.include({ source: `file:${path}`, owner: "system:manifests", phase: "Running", runs: 1, restarts: 0 });
      expect(status.manifest, "ListSpecs leaves the manifest out").to.equal("");
      expect((await spec(admin, "web")).manifest, "GetSpec has it, defaults written out").to.include("command: /bin/sleep").and.include("restartPolicy: Always");
    });

    it("replaces the job when the file changes: the old run is stopped, run 2 runs the new version", async () => {
      const before = await spec(admin, "web");
      writeFileSync(join(manifests, "web.yaml"), SLEEPER("web", "  gracePeriod: 1s\n"));
      const after = await eventually("web run 2", async () => {
        const s = await spec(admin, "web");
        return s.ready && s.currentRun === 2 && s;
      });
      const [old, current] = await jobsOf(admin, "web");
      expect(old).to.include({ id: before.currentJobId, JobStatus: "STOPPED", reason: "Stopped" });
      expect(old!.message).to.match(/replaced by a new version of spec web/);
      expect(current).to.include({ id: after.currentJobId, JobStatus: "RUNNING", specRun: 2, gracePeriodMs: "1000" });
      expect(after.restarts, "a new version starts its restarts over").to.equal(0);
    });

    it("rejects a file with errors, reporting them with their lines, and leaves its job running", async () => {
      const before = await spec(admin, "web");
      writeFileSync(join(manifests, "web.yaml"), SLEEPER("web", "  restartPolicy: Sometimes\n  colour: blue\n"));
      const after = await eventually("web shows the problem", async () => {
        const s = await spec(admin, "web");
        return s.message !== "" && s;
      });
      expect(after.message).to.match(/was rejected, so the last good version runs/);
      expect(after.message).to.match(/line 7: \/spec\/restartPolicy: got "Sometimes", expected one of "Always", "OnFailure", "Never"/);
      expect(after.message).to.match(/line 8: \/spec\/colour: unknown key/);
      expect(after).to.include({ currentJobId: before.currentJobId, ready: true, currentRun: before.currentRun });
      // The log line comes through the agent's stdout pipe, which may lag behind the GetSpec answer on a loaded machine.
      await eventually("the rejection logged", () => agent.logs.some((line) => line.msg === "a manifest file was rejected; what it defined keeps running as it was" && line.file === join(manifests, "web.yaml")));
    });

    it("stops the job when its file is removed, and forgets the spec", async () => {
      const { currentJobId } = await spec(admin, "web");
      rmSync(join(manifests, "web.yaml"));
      await eventually("web gone", async () => !(await specs(admin)).some((s) => s.name === "web"));
      const job = await eventually("its job stopped", async () => (await jobsOf(admin, "web")).find((j) => j.id === currentJobId && j.JobStatus !== "RUNNING"));
      expect(job).to.include({ JobStatus: "STOPPED", reason: "Stopped" });
      expect(job!.message).to.match(/its spec web was deleted/);
    });

    it("ignores dotfiles and editor temporaries, and refuses a file others may write", async () => {
      writeFileSync(join(manifests, ".web.yaml.swp"), SLEEPER("swp"));
      writeFileSync(join(manifests, "web.yaml~"), SLEEPER("tilde"));
      // Made writable by all before it is in the directory, so no scan ever sees it otherwise.
      writeFileSync(join(dir.path, "open.yaml"), SLEEPER("open"));
      chmodSync(join(dir.path, "open.yaml"), 0o666);
      renameSync(join(dir.path, "open.yaml"), join(manifests, "open.yaml"));
      writeFileSync(join(manifests, "marker.yaml"), SLEEPER("marker"));
      await eventually("marker running", async () => (await specs(admin)).some((s) => s.name === "marker" && s.ready));
      expect((await specs(admin)).map((s) => s.name)).to.deep.equal(["marker"]);
      await eventually("the refusal logged", () => agent.logs.find((line) => line.file === join(manifests, "open.yaml") && JSON.stringify(line.problems).includes("writable by group or others")));
      rmSync(join(manifests, "marker.yaml"));
      await eventually("marker gone", async () => (await specs(admin)).length === 0);
    });

    it("answers FAILED_PRECONDITION, naming the file, to an Apply or DeleteSpec of a file's spec", async () => {
      writeFileSync(join(manifests, "fixed.yaml"), SLEEPER("fixed"));
      await eventually("fixed running", async () => (await specs(admin)).some((s) => s.name === "fixed" && s.ready));
      const applied = await refusal(apply(admin, SLEEPER("fixed")));
      expect(applied.code).to.equal(9); // FAILED_PRECONDITION
      expect(applied.details).to.include(join(manifests, "fixed.yaml"));
      const deleted = await refusal(call(admin, "DeleteSpec", { name: "fixed" }));
      expect(deleted.code).to.equal(9);
      rmSync(join(manifests, "fixed.yaml"));
      await eventually("fixed gone", async () => (await specs(admin)).length === 0);
    });
  });

  describe("Apply and the restart policies", () => {
    let agent: TestAgent;
    let admin: WorkerServiceClient;
    let alice: WorkerServiceClient;
    let bob: WorkerServiceClient;
    let viewer: WorkerServiceClient;

    before(async () => {
      agent = await startTestAgent();
      admin = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
      alice = workerClient(agent.address, filesFor(agent.pkiDir, "alice"));
      bob = workerClient(agent.address, filesFor(agent.pkiDir, "bob"));
      viewer = workerClient(agent.address, filesFor(agent.pkiDir, "viewer"));
    });

    after(async () => {
      for (const client of [admin, alice, bob, viewer]) client?.close();
      await agent?.stop();
      agent?.cleanup();
    });

    it("creates a spec, reports an unchanged apply as unchanged, and a changed one as configured", async () => {
      expect((await apply(alice, SLEEPER("svc"))).results).to.deep.equal([{ name: "svc", outcome: "created" }]);
      const first = await eventually("svc running", async () => (await spec(alice, "svc")).ready && spec(alice, "svc"));
      expect(first).to.include({ owner: "alice", source: "api", runs: 1 });
      expect((await apply(alice, SLEEPER("svc"))).results[0]!.outcome).to.equal("unchanged");
      expect((await spec(alice, "svc")).currentJobId, "an unchanged apply leaves the run alone").to.equal(first.currentJobId);
      expect((await apply(alice, SLEEPER("svc", "  gracePeriod: 2s\n"))).results[0]!.outcome).to.equal("configured");
      await eventually("svc run 2", async () => (await spec(alice, "svc")).currentRun === 2);
    });

    it("keeps specs per owner: others answer NOT_FOUND, a taken name ALREADY_EXISTS, readonly may read but not apply", async () => {
      expect((await refusal(spec(bob, "svc"))).code).to.equal(5); // NOT_FOUND
      expect((await refusal(call(bob, "DeleteSpec", { name: "svc" }))).code).to.equal(5);
      expect((await specs(bob)).map((s) => s.name)).to.deep.equal([]);
      expect((await refusal(apply(bob, SLEEPER("svc")))).code).to.equal(6); // ALREADY_EXISTS
      expect((await spec(viewer, "svc")).owner).to.equal("alice");
      expect((await refusal(apply(viewer, SLEEPER("mine")))).code).to.equal(7); // PERMISSION_DENIED
      expect((await spec(admin, "svc")).owner).to.equal("alice");
    });

    it("refuses an invalid manifest with every problem and its line, and applies none of its documents", async () => {
      const text = `${SLEEPER("good")}---\n${SLEEPER("bad", "  restartPolicy: Never\n  backoff: {initial: 10ms}\n")}`;
      const err = await refusal(apply(alice, text));
      expect(err.code).to.equal(3); // INVALID_ARGUMENT
      expect(err.details).to.match(/test\.yaml: 1 problem/).and.match(/line 15: \/spec\/backoff\/initial: got "10ms", expected at least 100ms/);
      expect((await specs(alice)).map((s) => s.name)).to.deep.equal(["svc"]);
    });

    it("Always restarts a run that exits 0 after the back-off, doubling it", async () => {
      // max 4800 ms, far above the delays asserted: a back-off stuck at max, or at initial, falls outside every window.
      await apply(alice, manifest("always", "exit 0", "Always", "", "{initial: 300ms, max: 4800ms}"));
      const status = await eventually("four runs", async () => (await spec(alice, "always")).runs >= 4 && spec(alice, "always"));
      expect(status.restarts).to.be.at.least(3);
      const runs = await jobsOf(alice, "always");
      const gaps = runs.slice(1, 4).map((job, i) => ms(job.startTime) - ms(runs[i]!.endTime));
      // The back-off is a floor (never earlier); up to 3 s later is the machine's load.
      [300, 600, 1200].forEach((delay, i) => expect(gaps[i], `restart ${i + 1} after ${delay} ms`).to.be.within(delay - 20, delay + 3000));
      await call(alice, "DeleteSpec", { name: "always" });
    });

    it("OnFailure restarts a failing run, but not one that exits 0 or with a restartPreventExitCode", async () => {
      await apply(alice, `${manifest("fails", "exit 1", "OnFailure")}---\n${manifest("succeeds", "exit 0", "OnFailure")}---\n${manifest("prevented", "exit 3", "OnFailure", "  restartPreventExitCodes: [3]\n")}`);
      await eventually("fails restarted twice", async () => (await spec(alice, "fails")).restarts >= 2);
      const succeeds = await eventually("succeeds completed", async () => (await spec(alice, "succeeds")).phase === "Completed" && spec(alice, "succeeds"));
      const prevented = await eventually("prevented failed", async () => (await spec(alice, "prevented")).phase === "Failed" && spec(alice, "prevented"));
      expect(succeeds).to.include({ runs: 1, restarts: 0 });
      expect(succeeds.lastEnd).to.include({ JobStatus: "EXITED", reason: "Completed", exitCode: 0 });
      expect(prevented).to.include({ runs: 1, restarts: 0 });
      expect(prevented.lastEnd).to.include({ reason: "Error", exitCode: 3 });
      const fails = await spec(alice, "fails");
      expect(["CrashLoopBackOff", "Running", "Starting"]).to.include(fails.phase);
      const metrics = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
      const restarts = Number(/^jobworker_spec_restarts_total\{spec="fails"\} (\d+)$/m.exec(metrics)?.[1]);
      expect(restarts, "jobworker_spec_restarts_total of fails").to.be.at.least(2);
      expect(metrics).to.match(/^jobworker_spec_restarts_total\{spec="succeeds"\} 0$/m);
      expect(metrics).to.match(/^jobworker_spec_ready\{spec="succeeds"\} 0$/m);
      expect(metrics).to.match(/^jobworker_spec_ready\{spec="svc"\} 1$/m);
      for (const name of ["fails", "succeeds", "prevented"]) await call(alice, "DeleteSpec", { name });
      const after = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
      // The spec series; a finished run's own per-job series stay until retention forgets the job.
      expect(after, "a deleted spec's series go").to.not.match(/^jobworker_spec_\w+\{spec="(fails|succeeds|prevented)"\}/m);
    });

    it("OnFailure restarts a run killed by a signal nobody sent through Stop", async () => {
      await apply(alice, manifest("killed", "sleep 1000", "OnFailure"));
      const first = await eventually("killed running", async () => (await spec(alice, "killed")).ready && spec(alice, "killed"));
      const [job] = (await jobsOf(alice, "killed")).filter((j) => j.id === first.currentJobId);
      expect(job!.pid, "its pid").to.be.greaterThan(0);
      process.kill(job!.pid, "SIGKILL");
      const restarted = await eventually("killed restarted", async () => {
        const s = await spec(alice, "killed");
        return s.ready && s.currentRun === 2 && s;
      });
      expect(restarted.restarts).to.equal(1);
      expect(restarted.lastEnd).to.include({ id: first.currentJobId, JobStatus: "EXITED", signal: "SIGKILL" });
      await call(alice, "DeleteSpec", { name: "killed" });
    });

    it("Never runs once; applying the same spec again runs it again", async () => {
      await apply(alice, manifest("once", "echo ran; exit 1", "Never"));
      const failed = await eventually("once failed", async () => (await spec(alice, "once")).phase === "Failed" && spec(alice, "once"));
      expect(failed).to.include({ runs: 1, restarts: 0 });
      expect((await apply(alice, manifest("once", "echo ran; exit 1", "Never"))).results[0]!.outcome).to.equal("started");
      await eventually("once ran twice", async () => (await spec(alice, "once")).runs === 2 && (await spec(alice, "once")).phase === "Failed");
      const [first] = await jobsOf(alice, "once");
      expect((await readOutput(alice, { jobID: first!.id, noFollow: true })).toString()).to.equal("ran\n");
      await call(alice, "DeleteSpec", { name: "once" });
    });

    it("Always restarts at once a run stopped through Stop; DeleteSpec is what stops it for good", async () => {
      const { currentJobId } = await spec(alice, "svc");
      await call(alice, "Stop", { jobID: Buffer.from(currentJobId) });
      const restarted = await eventually("svc restarted", async () => {
        const s = await spec(alice, "svc");
        return s.ready && s.currentJobId !== currentJobId && s;
      });
      expect(restarted.restarts).to.equal(1);
      expect(restarted.lastEnd).to.include({ id: currentJobId, JobStatus: "STOPPED", reason: "Stopped" });
      const { spec: gone } = await call<object, { spec: SpecStatus__Output }>(alice, "DeleteSpec", { name: "svc" });
      expect(gone.phase).to.equal("Deleting");
      const [last] = (await jobsOf(alice, "svc")).filter((j) => j.id === restarted.currentJobId);
      expect(last).to.include({ JobStatus: "STOPPED" });
      expect((await refusal(spec(alice, "svc"))).code).to.equal(5);
    });
  });

  describe("across an agent restart", () => {
    it("keeps the runs of a manifest file that is invalid when the agent starts again", async () => {
      const dir = tempDir();
      const manifests = join(dir.path, "jobs.d");
      mkdirSync(manifests);
      chmodSync(manifests, 0o755);
      const config = join(dir.path, "agent.yaml");
      writeFileSync(config, `apiVersion: jobworker/v1\nkind: AgentConfig\njobs:\n  manifestDir: ${manifests}\n`);
      let agent = await startTestAgent({ args: ["--config", config] });
      let admin = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
      try {
        writeFileSync(join(manifests, "web.yaml"), SLEEPER("web"));
        const before = await eventually("web running", async () => (await specs(admin)).find((s) => s.name === "web" && s.ready));
        admin.close();
        expect(await agent.stop()).to.equal(0);
        writeFileSync(join(manifests, "web.yaml"), SLEEPER("web", "  colour: blue\n"));
        agent = await startTestAgent({ stateDir: agent.stateDir, args: ["--config", config] });
        admin = workerClient(agent.address, filesFor(agent.pkiDir, "admin"));
        const after = await eventually("web adopted, with the file's problem", async () => {
          const s = (await specs(admin)).find((x) => x.name === "web");
          return s?.ready && s.message !== "" && s;
        });
        expect(after.currentJobId, "the same job").to.equal(before.currentJobId);
        expect(after.message).to.match(/line 7: \/spec\/colour: unknown key/);
        const running = (await jobsOf(admin, "web")).filter((j) => j.JobStatus === "RUNNING");
        expect(running.map((j) => j.id)).to.deep.equal([before.currentJobId]);
      } finally {
        admin.close();
        await agent.stop();
        agent.cleanup();
        dir.cleanup();
      }
    });

    it("a spec deleted while its run waits out its grace period stays deleted after an agent crash; the run still stops", async () => {
      let agent = await startTestAgent();
      const stateDir = agent.stateDir;
      let client = workerClient(agent.address, filesFor(agent.pkiDir, "alice"));
      try {
        // Says so at SIGTERM and goes on, so its stop lasts the whole grace period: the agent is killed within it.
        await apply(client, manifest("stubborn", "trap 'echo got TERM' TERM; while :; do sleep 1; done", "Always", "  gracePeriod: 10s\n"));
        const { currentJobId } = await eventually("stubborn running", async () => (await spec(client, "stubborn")).ready && spec(client, "stubborn"));
        const deleting = call(client, "DeleteSpec", { name: "stubborn" }).catch(() => undefined); // answers once the run has ended
        // The SIGTERM comes only once the spec's state is gone (the delete is durable from there).
        await eventually("the run told to stop", async () => (await readOutput(client, { jobID: currentJobId, noFollow: true })).toString().includes("got TERM"));
        await agent.stop("SIGKILL");
        await deleting;
        client.close();
        agent = await startTestAgent({ stateDir });
        client = workerClient(agent.address, filesFor(agent.pkiDir, "alice"));
        // By the SIGKILL the first agent scheduled, 10 s after its SIGTERM.
        const job = await eventually("its run stopped", async () => (await jobsOf(client, "stubborn")).find((j) => j.id === currentJobId && j.JobStatus !== "RUNNING"), 60_000);
        expect(job).to.include({ JobStatus: "STOPPED", reason: "Stopped" });
        expect((await specs(client)).map((s) => s.name), "not brought back").to.deep.equal([]);
        expect((await jobsOf(client, "stubborn")).map((j) => j.id), "no run started after the delete").to.deep.equal([currentJobId]);
      } finally {
        client.close();
        await agent.stop();
        agent.cleanup();
      }
    });

    for (const [how, signal] of [["a shutdown (SIGTERM)", "SIGTERM"], ["a crash (SIGKILL)", "SIGKILL"]] as const) {
      it(`keeps the spec across ${how} of the agent, and the next agent adopts its running job instead of starting a second copy`, async () => {
        let agent = await startTestAgent();
        const stateDir = agent.stateDir;
        let client = workerClient(agent.address, filesFor(agent.pkiDir, "alice"));
        try {
          await apply(client, SLEEPER("keep"));
          const before = await eventually("keep running", async () => (await spec(client, "keep")).ready && spec(client, "keep"));
          client.close();
          expect(await agent.stop(signal)).to.equal(signal === "SIGTERM" ? 0 : null);
          agent = await startTestAgent({ stateDir });
          client = workerClient(agent.address, filesFor(agent.pkiDir, "alice"));
          const after = await eventually("keep adopted", async () => (await spec(client, "keep")).ready && spec(client, "keep"));
          expect(after).to.include({ currentJobId: before.currentJobId, runs: 1, restarts: 0, phase: "Running" });
          expect((await jobsOf(client, "keep")).map((j) => [j.id, j.JobStatus]), "one run, the same").to.deep.equal([[before.currentJobId, "RUNNING"]]);
        } finally {
          client.close();
          await agent.stop();
          agent.cleanup();
        }
      });
    }
  });
});
