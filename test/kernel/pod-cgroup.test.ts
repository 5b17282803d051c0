// The DaemonSet's cgroup placement, emulated on a real cgroup v2 kernel (run
// inside the test VM by `npm run test:vm`): the real agent runs inside a "pod"
// cgroup limited to 512Mi, as a container runtime would place it, with the
// ConfigMap's own settings. A job allowed 1Gi uses more than the pod may; the
// pod is killed whole (cgroup.kill, as containerd kills a pod's cgroup); the
// job and its monitor live on, and the agent started in a new pod reattaches.
//
// One setting differs: cgroup.root. On a fresh node the ConfigMap's
// jobworker.slice does not exist yet and the agent creates it, enabling the
// controllers in its ancestors; in this VM jobworker.slice already exists
// with them (`npm run test:vm` runs mocha in jobworker.slice/jobagent.service),
// and the root cgroup passes them on already (run.sh enabled them, and they
// cannot be taken back while mocha's cgroup uses them). So the agent gets
// FRESH_ROOT, two levels that do not exist yet: it must create both and
// enable the controllers in the new ancestor, as it would in a node's root.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, stringify } from "yaml";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { StopResponse__Output } from "../../proto/generated/workerservice/StopResponse.js";
import type { StartResponse__Output } from "../../proto/generated/workerservice/StartResponse.js";
import { AGENT_MAIN } from "../helpers/agent.js";
import { call, filesFor, readOutput, workerClient } from "../helpers/client.js";
import { isAlive, killLeftoverJobs } from "../helpers/proc.js";
import { tempDir } from "../helpers/tmp.js";
import { eventually } from "../helpers/wait.js";

const MiB = 1024 * 1024;
const CGROUP_MOUNT = "/sys/fs/cgroup";
const POD_MEMORY = 512 * MiB;
const JOB_MEMORY_LIMIT = 1024 * MiB;
const JOB_ALLOCATES = 700 * MiB;
const DAEMONSET = fileURLToPath(new URL("../../../deploy/daemonset.yaml", import.meta.url));
/** cgroup.root for this test's agent (see the top): missing until the agent starts. */
const FRESH_ANCESTOR = "jobworker-podtest.slice";
const FRESH_ROOT = `${FRESH_ANCESTOR}/jobworker.slice`;
const CONTROLLERS = ["cpu", "io", "memory", "pids"];

/** The AgentConfig the DaemonSet's ConfigMap carries, parsed. */
function configMapAgentConfig(): Record<string, unknown> {
  const documents = parseAllDocuments(readFileSync(DAEMONSET, "utf8")).map((d) => d.toJS() as { kind: string; data?: Record<string, string> });
  const configMap = documents.find((d) => d.kind === "ConfigMap");
  return parseAllDocuments(configMap!.data!["agent.yaml"])[0].toJS() as Record<string, unknown>;
}

/**
 * Allocates and touches 700 MiB (vec() grows the string by zero-filling it, so
 * every page is written, and holds one copy: `"\1" x N` would build a second),
 * says so, then waits for ./go, says so, and idles until stopped.
 */
const ALLOCATE = `$| = 1; my $x = ""; vec($x, ${JOB_ALLOCATES} - 1, 8) = 1; print "allocated ", length($x), "\\n"; select(undef, undef, undef, 0.1) until -e "go"; print "still holding ", length($x), "\\n"; sleep 1000000;`;

/** A pod's cgroup with its memory limit, and the container's leaf in it (a cgroup with children holds no processes). */
function makePod(name: string): { pod: string; container: string } {
  const pod = `kubepods/${name}`;
  for (const cgroup of ["kubepods", pod, `${pod}/agent`]) mkdirSync(join(CGROUP_MOUNT, cgroup), { recursive: true });
  writeFileSync(join(CGROUP_MOUNT, "kubepods", "cgroup.subtree_control"), "+cpu +memory +io +pids");
  writeFileSync(join(CGROUP_MOUNT, pod, "cgroup.subtree_control"), "+cpu +memory +io +pids");
  writeFileSync(join(CGROUP_MOUNT, pod, "memory.max"), String(POD_MEMORY));
  return { pod, container: `${pod}/agent` };
}

interface PodAgent {
  child: ChildProcess;
  address: string;
  exited: Promise<NodeJS.Signals | number | null>;
  /** Its log lines, for the failure message. */
  logs: string[];
}

/** The real agent, placed in the container's cgroup before it executes (the shell moves itself, then execs node). */
function startAgentIn(container: string, configFile: string): Promise<PodAgent> {
  const procs = join(CGROUP_MOUNT, container, "cgroup.procs");
  const child = spawn("sh", ["-c", `echo $$ > ${procs} && exec "$0" "$@"`, process.execPath, AGENT_MAIN, "--config", configFile], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      logs.push(line);
      const port = /"msg":"agent listening"/.test(line) ? (JSON.parse(line) as { port: number }).port : undefined;
      if (port !== undefined) resolve({ child, address: `127.0.0.1:${port}`, exited, logs });
    });
    void exited.then((how) => reject(new Error(`agent exited (${how}) before listening`)));
  });
}

/** cgroup.kill on a pod's cgroup, as the container runtime does; resolves once nothing is left in it. */
async function killPod(pod: string): Promise<void> {
  writeFileSync(join(CGROUP_MOUNT, pod, "cgroup.kill"), "1");
  await eventually(`${pod} to be empty after cgroup.kill`, () => readFileSync(join(CGROUP_MOUNT, pod, "cgroup.events"), "utf8").includes("populated 0"));
}

/** The controllers a cgroup passes on to its children, sorted. */
const subtreeControl = (cgroup: string) => readFileSync(join(CGROUP_MOUNT, cgroup, "cgroup.subtree_control"), "utf8").trim().split(/\s+/).filter(Boolean).sort();

const cgroupOf = (pid: number) => readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().replace(/^0::\//, "");
const readNumber = (cgroup: string, file: string) => Number(readFileSync(join(CGROUP_MOUNT, cgroup, file), "utf8"));

describe("the DaemonSet's cgroup placement: jobs outside the agent's pod", function () {
  let state: ReturnType<typeof tempDir>;
  let configFile: string;
  let root: string;
  const pods: string[] = [];
  let agent: PodAgent | undefined;

  before(() => {
    state = tempDir();
    const shipped = configMapAgentConfig();
    root = FRESH_ROOT;
    // The ConfigMap's cgroup and shutdown settings as shipped, but cgroup.root (see the top); the node-specific
    // paths replaced (no Secrets here: the development PKI).
    const config = { ...shipped, cgroup: { ...(shipped.cgroup as object), root }, listen: "127.0.0.1:0", stateDir: state.path, jobctlConfigPath: join(state.path, "jobctl.yaml"), metrics: { listen: "" } };
    delete (config as { tls?: unknown }).tls;
    configFile = join(state.path, "agent.yaml");
    writeFileSync(configFile, stringify(config));
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed" && agent) console.log(`agent log:\n${agent.logs.join("\n")}\nsteps: ${steps.join(", ")}`);
  });
  after(async () => {
    for (const pod of pods) await killPod(pod); // the agent and its helpers
    killLeftoverJobs(state.path);
    for (const pod of pods.reverse()) for (const cgroup of [`${pod}/agent`, pod]) if (existsSync(join(CGROUP_MOUNT, cgroup))) rmdirSync(join(CGROUP_MOUNT, cgroup));
    // Best effort: after a failure a monitor may still be exiting; a leftover cgroup in the throwaway VM harms no later test.
    for (const cgroup of [`${root}/jobs`, `${root}/monitors`, root, FRESH_ANCESTOR]) {
      try {
        rmdirSync(join(CGROUP_MOUNT, cgroup));
      } catch { /* missing or still busy */ }
    }
    state.cleanup();
  });

  /** What the test reached and when (seconds since it began): the VM runs under TCG on a shared machine. */
  const steps: string[] = [];
  let began = 0;
  const step = (what: string) => steps.push(`${what} ${((Date.now() - began) / 1000).toFixed(1)}s`);

  it("ships cgroup.root jobworker.slice and stopJobsOnShutdown false", () => {
    expect(configMapAgentConfig()).to.deep.include({ cgroup: { root: "jobworker.slice" }, stopJobsOnShutdown: false });
  });

  it("a job allowed 1Gi holds 700 MiB beside a 512Mi pod, survives the pod's kill with its monitor, and the agent in a new pod reattaches", async function () {
    this.timeout(900_000); // two agent starts and 700 MiB of page faults under TCG
    began = Date.now();
    expect(existsSync(join(CGROUP_MOUNT, FRESH_ANCESTOR)), `${FRESH_ANCESTOR} before the agent starts`).to.equal(false);
    const first = makePod("pod1");
    pods.push(first.pod);
    agent = await startAgentIn(first.container, configFile);
    step("agent 1 listening");
    expect(cgroupOf(agent.child.pid!)).to.equal(first.container); // the agent stayed in its pod
    // Created, and the controllers passed down to the jobs: by the new ancestor, by cgroup.root itself.
    expect(subtreeControl(FRESH_ANCESTOR)).to.include.members(CONTROLLERS);
    expect(subtreeControl(root)).to.include.members(CONTROLLERS);
    expect(subtreeControl(`${root}/jobs`)).to.include.members(CONTROLLERS);
    const admin = () => filesFor(join(state.path, "pki"), "admin");
    let client = workerClient(agent.address, admin());

    const started = await call<object, StartResponse__Output>(client, "Start", { commandName: "perl", arguments: ["-e", ALLOCATE], limits: { memoryBytes: JOB_MEMORY_LIMIT } });
    step("job started");
    const leaf = `${root}/jobs/${started.id}`;
    const status = () => call<object, QueryStatusResponse__Output>(client, "QueryStatus", { jobID: started.jobID });
    const running = await status();
    expect(running.JobStatus).to.equal("RUNNING");
    const jobPid = running.pid;
    const monitorPid = Number(/^monitor_pid=(\d+)$/m.exec(readFileSync(join(state.path, "jobs", started.id, "monitor"), "utf8"))![1]);
    expect(cgroupOf(jobPid)).to.equal(leaf);
    expect(cgroupOf(monitorPid)).to.equal(`${root}/monitors`);
    expect(readNumber(leaf, "memory.max")).to.equal(JOB_MEMORY_LIMIT);
    await eventually("the job to have touched its 700 MiB", () => readNumber(leaf, "memory.current") > JOB_ALLOCATES, 120_000);
    step("700 MiB touched");
    expect(readNumber(first.pod, "memory.current")).to.be.below(POD_MEMORY); // charged to the job's leaf, not the pod

    // The pod is killed whole, as the container runtime does when a pod is deleted or its main process dies.
    client.close();
    await killPod(first.pod);
    expect(await agent.exited).to.equal("SIGKILL");
    step("pod killed");
    expect(isAlive(jobPid), "job").to.equal(true);
    expect(isAlive(monitorPid), "monitor").to.equal(true);
    expect(readNumber(leaf, "memory.current")).to.be.above(POD_MEMORY);

    // A new pod (the DaemonSet's replacement), the same hostPath state directory.
    const second = makePod("pod2");
    pods.push(second.pod);
    agent = await startAgentIn(second.container, configFile);
    step("agent 2 listening");
    client = workerClient(agent.address, admin());
    expect(await status()).to.include({ JobStatus: "RUNNING", pid: running.pid });
    writeFileSync(join(state.path, "jobs", started.id, "work", "go"), "");
    const whole = `allocated ${JOB_ALLOCATES}\nstill holding ${JOB_ALLOCATES}\n`;
    await eventually("the job's second line", async () => (await readOutput(client, { jobID: started.jobID, noFollow: true })).toString() === whole, 60_000);
    step("output whole");
    expect(readNumber(second.pod, "memory.current")).to.be.below(POD_MEMORY);

    const stopped = await call<object, StopResponse__Output>(client, "Stop", { jobID: started.jobID, gracePeriodMs: 1000 });
    step("stopped");
    expect(stopped.status).to.include({ JobStatus: "STOPPED", reason: "Stopped" });
    expect((await readOutput(client, { jobID: started.jobID })).toString()).to.equal(whole);
    expect(isAlive(jobPid)).to.equal(false);
    await eventually("the monitor to have gone", () => !isAlive(monitorPid));
    expect(existsSync(join(CGROUP_MOUNT, leaf))).to.equal(false);
    client.close();
    step("done");
    console.log(`      steps: ${steps.join(", ")}`);
  });
});
