// jobctl's job spec verbs end to end, the compiled CLI against the real agent:
// apply -f FILE|DIR|-, get specs in every output format, describe spec,
// logs spec/NAME [--previous], delete spec, and their exit codes.
import { expect } from "chai";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { startTestAgent, type TestAgent } from "../../helpers/agent.js";
import { tempDir } from "../../helpers/tmp.js";
import { eventually } from "../../helpers/wait.js";
import { runJobctl, type JobctlRun } from "../../helpers/run-jobctl.js";

const sleeper = (name: string) => `apiVersion: jobworker/v1
kind: Job
metadata: {name: ${name}, labels: {tier: web}}
spec:
  command: /bin/sleep
  args: ["600"]
  gracePeriod: 1s
`;

// Run 1 fails, run 2 succeeds: under OnFailure it then stays Completed.
const twice = `apiVersion: jobworker/v1
kind: Job
metadata: {name: twice}
spec:
  command: /bin/sh
  args: ["-c", "echo \\"run $JOBWORKER_SPEC_RUN of $JOBWORKER_SPEC\\"; [ $JOBWORKER_SPEC_RUN -ge 2 ]"]
  restartPolicy: OnFailure
  backoff: {initial: 200ms}
`;

describe("jobctl job spec verbs end to end (real agent)", function () {
  this.timeout(120_000);
  let agent: TestAgent;
  let dir: ReturnType<typeof tempDir>;

  before(async () => {
    agent = await startTestAgent();
    dir = tempDir();
  });
  after(async () => {
    await agent.stop();
    agent.cleanup();
    dir.cleanup();
  });

  const jobctl = (context: string, args: string[], stdin?: string) =>
    runJobctl(["--config", agent.jobctlConfigPath, "--context", context, ...args], { env: { JOBCTL_CONFIG: undefined }, stdin });

  function expectOk(run: JobctlRun): void {
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.equal("");
  }

  it("apply -f FILE creates each document's spec, and says unchanged when applied again", async () => {
    const file = join(dir.path, "web.yaml");
    writeFileSync(file, `${sleeper("web")}---\n${sleeper("api")}`);
    const created = await jobctl("alice", ["apply", "-f", file]);
    expectOk(created);
    expect(created.stdout).to.equal("spec/web created\nspec/api created\n");
    const again = await jobctl("alice", ["apply", "-f", file]);
    expectOk(again);
    expect(again.stdout).to.equal("spec/web unchanged\nspec/api unchanged\n");
    writeFileSync(file, `${sleeper("web")}---\n${sleeper("api").replace('"600"', '"700"')}`);
    const changed = await jobctl("alice", ["apply", "-f", file]);
    expectOk(changed);
    expect(changed.stdout).to.equal("spec/web unchanged\nspec/api configured\n");
    await eventually("api run 2 running", async () => {
      const { items } = parse((await jobctl("alice", ["get", "specs", "-o", "yaml"])).stdout) as { items: { name: string; ready: boolean; currentRun: number }[] };
      return items.some((item) => item.name === "api" && item.ready && item.currentRun === 2);
    });
    const runs = await jobctl("alice", ["get", "jobs", "-l", "spec=api"]);
    expect(runs.stdout).to.match(/RUNNING.*\/bin\/sleep 700$/m).and.match(/STOPPED.*\/bin\/sleep 600$/m);
  });

  it("apply -f DIR applies its manifests in name order, skipping dotfiles; apply -f - reads stdin", async () => {
    const jobs = join(dir.path, "jobs.d");
    mkdirSync(jobs);
    writeFileSync(join(jobs, "b.yaml"), sleeper("b-job"));
    writeFileSync(join(jobs, "a.yml"), sleeper("a-job"));
    writeFileSync(join(jobs, ".hidden.yaml"), sleeper("hidden"));
    const fromDir = await jobctl("alice", ["apply", "-f", jobs]);
    expectOk(fromDir);
    expect(fromDir.stdout).to.equal("spec/a-job created\nspec/b-job created\n");
    const fromStdin = await jobctl("alice", ["apply", "-f", "-"], twice);
    expectOk(fromStdin);
    expect(fromStdin.stdout).to.equal("spec/twice created\n");
  });

  it("get specs prints NAME READY RESTARTS STATUS AGE; -o name, wide and yaml", async () => {
    await eventually("web ready", async () => /^web +1\/1 /m.test((await jobctl("alice", ["get", "specs"])).stdout));
    const table = await jobctl("alice", ["get", "specs"]);
    expectOk(table);
    expect(table.stdout.split("\n")[0]).to.match(/^NAME +READY +RESTARTS +STATUS +AGE$/);
    expect(table.stdout).to.match(/^web +1\/1 +0 +Running +\d+[smhd]$/m);
    const names = await jobctl("alice", ["get", "specs", "-o", "name"]);
    expect(names.stdout.split("\n").filter(Boolean).sort()).to.deep.equal(["spec/a-job", "spec/api", "spec/b-job", "spec/twice", "spec/web"]);
    const wide = await jobctl("alice", ["get", "specs", "-o", "wide"]);
    expect(wide.stdout.split("\n")[0]).to.match(/^NAME +READY +RESTARTS +STATUS +AGE +POLICY +RUNS +JOB +LAST-EXIT +SOURCE$/);
    const yaml = parse((await jobctl("alice", ["get", "specs", "-o", "yaml"])).stdout) as { kind: string; items: { name: string; owner: string }[] };
    expect(yaml.kind).to.equal("List");
    expect(yaml.items.find((item) => item.name === "web")).to.include({ owner: "alice" });
    expect((await jobctl("bob", ["get", "specs", "-o", "name"])).stdout, "bob sees none of alice's").to.equal("");
  });

  it("a run is an ordinary job: status and describe job name its spec and run, get jobs -l spec= selects the runs", async () => {
    const id = (await jobctl("alice", ["get", "jobs", "-l", "spec=web", "-o", "name"])).stdout.trim();
    expect(id).to.match(/^[0-9a-f-]{36}$/);
    expect((await jobctl("alice", ["status", id])).stdout).to.match(/^Spec: +web \(run 1\)$/m);
    expect((await jobctl("alice", ["describe", "job", id])).stdout).to.match(/^Spec: +web \(run 1\)$/m);
  });

  it("logs spec/NAME prints the current (or last) run's output, --previous the run before it", async () => {
    await eventually("twice completed", async () => /^twice +0\/1 +1 +Completed /m.test((await jobctl("alice", ["get", "specs"])).stdout));
    const current = await jobctl("alice", ["logs", "spec/twice"]);
    expectOk(current);
    expect(current.stdout).to.equal("run 2 of twice\n");
    const previous = await jobctl("alice", ["logs", "spec/twice", "--previous"]);
    expectOk(previous);
    expect(previous.stdout).to.equal("run 1 of twice\n");
    const none = await jobctl("alice", ["logs", "spec/web", "--previous"]);
    expect(none.code, none.stderr).to.equal(4);
    expect(none.stderr).to.match(/job spec web has no run before run 1/);
  });

  it("describe spec shows the status, last run, manifest with defaults, and recent runs", async () => {
    const run = await jobctl("alice", ["describe", "spec", "twice"]);
    expectOk(run);
    expect(run.stdout).to.match(/^Name: +twice$/m);
    expect(run.stdout).to.match(/^Restart Policy: +OnFailure$/m);
    expect(run.stdout).to.match(/^Status: +Completed$/m);
    expect(run.stdout).to.match(/^Restarts: +1$/m);
    expect(run.stdout).to.match(/^ +Ended: +Completed \(exit 0\), /m);
    expect(run.stdout).to.match(/^Manifest:\n  apiVersion: jobworker\/v1\n/m);
    expect(run.stdout).to.include("    initial: 200ms");
    expect(run.stdout).to.match(/^Recent Runs:\n +RUN +JOB +STATUS +REASON +EXIT +AGE\n +2 +\S+ +EXITED +Completed +0 +\d+[smhd]\n +1 +\S+ +EXITED +Error +1 +\d+[smhd]$/m);
  });

  it("exits 2 with every problem and its line for an invalid manifest, 5 for another owner's name, 4 for a missing spec", async () => {
    const bad = join(dir.path, "bad.yaml");
    writeFileSync(bad, "apiVersion: jobworker/v1\nkind: Job\nmetadata: {name: Bad_Name}\nspec:\n  command: ''\n");
    const invalid = await jobctl("alice", ["apply", "-f", bad]);
    expect(invalid.code).to.equal(2);
    expect(invalid.stderr).to.include(`${bad}: 2 problem(s)`).and.match(/line 3: \/metadata\/name/).and.match(/line 5: \/spec\/command/);
    const taken = await jobctl("bob", ["apply", "-f", join(dir.path, "web.yaml")]);
    expect(taken.code, taken.stderr).to.equal(5);
    expect(taken.stderr).to.match(/ALREADY_EXISTS: a job spec named web already exists/);
    const missing = await jobctl("alice", ["delete", "spec", "nope"]);
    expect(missing.code).to.equal(4);
  });

  it("delete spec stops the run for good and forgets the spec", async () => {
    const deleted = await jobctl("alice", ["delete", "spec", "web", "api", "a-job", "b-job", "twice"]);
    expectOk(deleted);
    expect(deleted.stdout).to.equal("spec/web deleted\nspec/api deleted\nspec/a-job deleted\nspec/b-job deleted\nspec/twice deleted\n");
    const after = await jobctl("alice", ["get", "specs"]);
    expect(after.code).to.equal(0);
    expect(after.stdout).to.equal("");
    expect(after.stderr).to.equal("No job specs found.\n");
    const jobs = await jobctl("alice", ["get", "jobs", "-l", "status=RUNNING", "-o", "name"]);
    expect(jobs.stdout, "no run left running").to.equal("");
  });
});
