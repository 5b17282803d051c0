// README's upgrade from the one-unit layout (agent and jobs in one delegated
// jobagent.service, KillMode=process, no cgroup.root) to the two units, under
// Debian 12's systemd 252: drain the jobs, add cgroup.root, install both
// units, daemon-reload, restart. It also shows why draining comes first: the
// restart's stop already runs under the new unit's KillMode=mixed, which
// kills a job still in the old unit's cgroup. The unit here is named
// jobagent-old.service (jobagent.service is the other suite's), its state in
// a directory of its own, which the new unit's ProtectSystem=strict needs in
// ReadWritePaths (README, step 3).
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { WorkerServiceClient } from "../../proto/generated/workerservice/WorkerService.js";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { StartResponse__Output } from "../../proto/generated/workerservice/StartResponse.js";
import { call, filesFor, workerClient } from "../helpers/client.js";
import { isAlive } from "../helpers/proc.js";
import { eventually } from "../helpers/wait.js";
import { installPackageAndPki, JOBS_CGROUP, must, oneUnitConfig, oneUnitLayout, PKI, REPO, run, unitProperty } from "./host.js";
import { freePort } from "../helpers/ports.js";

const UNIT = "jobagent-old.service";
const CONFIG_FILE = "/etc/jobworker/old.yaml";
const STATE_DIR = "/var/lib/jobworker-old";
/** An agent start under TCG on a loaded host (see jobagent-unit.test.ts). */
const AGENT_MS = 300_000;

function oldConfig(port: number): string {
  return oneUnitConfig(port, STATE_DIR, "72000-72999");
}

/** deploy/jobagent.service as shipped, reading this test's config; drop-ins for its state directory and the VM's slow start. */
function installNewUnit(): void {
  const shipped = readFileSync(join(REPO, "deploy/jobagent.service"), "utf8");
  const execStart = "ExecStart=/usr/bin/node /opt/jobworker/dist/agent/main.js --config /etc/jobworker/agent.yaml\n";
  expect(shipped).to.include(execStart);
  writeFileSync(`/etc/systemd/system/${UNIT}`, shipped.replace(execStart, execStart.replace("/etc/jobworker/agent.yaml", CONFIG_FILE)));
  mkdirSync(`/etc/systemd/system/${UNIT}.d`, { recursive: true });
  writeFileSync(`/etc/systemd/system/${UNIT}.d/state-dir.conf`, `[Service]\nReadWritePaths=${STATE_DIR}\n`);
  writeFileSync(`/etc/systemd/system/${UNIT}.d/vm-slow-start.conf`, "[Service]\nTimeoutStartSec=600\n");
  if (!existsSync("/etc/systemd/system/jobworker-jobs.service")) copyFileSync(join(REPO, "deploy/jobworker-jobs.service"), "/etc/systemd/system/jobworker-jobs.service");
}

describe("upgrading from the one-unit layout, under systemd 252", function () {
  let admin: WorkerServiceClient | undefined;
  afterEach(async function () {
    if (this.currentTest?.state !== "failed") return;
    const journal = await run("journalctl", ["-u", UNIT, "-n", "60", "--no-pager", "-o", "short-monotonic"]);
    const status = await run("systemctl", ["status", UNIT, "--no-pager"]);
    process.stdout.write(`--- journal (last 60 lines) ---\n${journal.stdout}${journal.stderr}\n--- status ---\n${status.stdout}\n`);
  });
  after(async () => {
    admin?.close();
    await run("systemctl", ["stop", UNIT]);
  });

  it("drained, then restarted as deploy/jobagent.service with cgroup.root: jobs start in jobworker-jobs.service; a job left running is killed", async () => {
    await installPackageAndPki();
    // One agent at a time in jobworker-jobs.service's cgroup: the other suite's leaves its jobs' units running.
    await run("systemctl", ["stop", "jobagent.service"]);
    const port = await freePort();
    writeFileSync(CONFIG_FILE, oldConfig(port), { mode: 0o600 });
    writeFileSync(`/etc/systemd/system/${UNIT}`, oneUnitLayout(CONFIG_FILE));
    await must("systemctl", ["daemon-reload"]);
    await must("systemctl", ["start", UNIT]);
    admin = workerClient(`127.0.0.1:${port}`, filesFor(PKI, "admin"));
    const client = admin;
    const start = () => call<object, StartResponse__Output>(client, "Start", { commandName: "sleep", arguments: ["1000"] });
    const status = (jobID: Buffer) => call<object, QueryStatusResponse__Output>(client, "QueryStatus", { jobID });
    const drained = await start();
    const left = await start();
    const leftPid = (await status(left.jobID)).pid;
    expect(readFileSync(`/proc/${leftPid}/cgroup`, "utf8").trim()).to.equal(`0::/system.slice/${UNIT}/jobs/${left.id}`);

    // README: stop (or let finish) every job; then cgroup.root, both units, daemon-reload, restart.
    await call(client, "Stop", { jobID: drained.jobID, gracePeriodMs: 0 });
    writeFileSync(CONFIG_FILE, `${oldConfig(port)}cgroup:\n  root: ${JOBS_CGROUP}\n`);
    await must("node", [join(REPO, "dist/agent/main.js"), "--config", CONFIG_FILE, "--validate"]);
    installNewUnit();
    await must("systemctl", ["daemon-reload"]);
    await must("systemctl", ["restart", UNIT]);

    expect(await unitProperty(UNIT, "ActiveState")).to.equal("active");
    const agentPid = Number(await unitProperty(UNIT, "MainPID"));
    expect(readFileSync(`/proc/${agentPid}/cgroup`, "utf8").trim()).to.equal(`0::/system.slice/${UNIT}`);
    // The job not drained: SIGKILLed with the old cgroup's other processes (KillMode=mixed), recorded ended.
    await eventually("the job left running to be gone", () => !isAlive(leftPid));
    // The client reconnects to the new agent (UNAVAILABLE until it has).
    const ended = await eventually("the new agent answers", () => status(left.jobID).catch((e: grpc.ServiceError) => (e.code === grpc.status.UNAVAILABLE ? undefined : Promise.reject(e))), AGENT_MS);
    expect(ended.JobStatus).to.be.oneOf(["STOPPED", "EXITED"]);
    expect(existsSync(`/sys/fs/cgroup/system.slice/${UNIT}/jobs`)).to.equal(false);
    expect(await status(drained.jobID)).to.include({ JobStatus: "STOPPED", reason: "Stopped" }); // records carried over

    const fresh = await start();
    const freshPid = (await status(fresh.jobID)).pid;
    expect(readFileSync(`/proc/${freshPid}/cgroup`, "utf8").trim()).to.equal(`0::/${JOBS_CGROUP}/jobs/${fresh.id}`);
    await call(client, "Stop", { jobID: fresh.jobID, gracePeriodMs: 0 });
  });
});
