// The problem deploy/jobworker-jobs.service solves, reproduced on Debian 12's
// systemd 252: with jobs in the agent's own delegated cgroup (one unit,
// Delegate=yes, KillMode=process, the layout before), the agent has enabled
// controllers in the unit's cgroup.subtree_control, so the kernel refuses to
// attach the next main process to that cgroup (no internal processes) and
// `systemctl restart` fails with status 219/CGROUP. If a later systemd or
// kernel stopped failing here, this test would fail and say so.
import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import type { WorkerServiceClient } from "../../proto/generated/workerservice/WorkerService.js";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import type { StartResponse__Output } from "../../proto/generated/workerservice/StartResponse.js";
import { call, filesFor, workerClient } from "../helpers/client.js";
import { isAlive } from "../helpers/proc.js";
import { installPackageAndPki, must, oneUnitConfig, oneUnitLayout, PKI, run, unitProperty } from "./host.js";
import { freePort } from "../helpers/ports.js";

const UNIT = "jobagent-single.service";

function singleConfig(port: number): string {
  return oneUnitConfig(port, "/var/lib/jobworker-single", "71000-71999");
}

describe("one delegated unit for agent and jobs, under systemd 252", function () {
  let admin: WorkerServiceClient;
  after(async () => {
    admin?.close();
    await run("systemctl", ["kill", "--signal=SIGKILL", UNIT]); // the job it leaves behind
  });

  it("cannot be restarted while a job runs: the new main process is refused its cgroup (219/CGROUP, EBUSY)", async () => {
    await installPackageAndPki();
    const port = await freePort();
    writeFileSync("/etc/jobworker/single.yaml", singleConfig(port), { mode: 0o600 });
    writeFileSync(`/etc/systemd/system/${UNIT}`, oneUnitLayout("/etc/jobworker/single.yaml"));
    await must("systemctl", ["daemon-reload"]);
    await must("systemctl", ["start", UNIT]);
    admin = workerClient(`127.0.0.1:${port}`, filesFor(PKI, "admin"));
    const { jobID } = await call<object, StartResponse__Output>(admin, "Start", { commandName: "sleep", arguments: ["1000"] });
    const job = await call<object, QueryStatusResponse__Output>(admin, "QueryStatus", { jobID });
    expect(readFileSync(`/proc/${job.pid}/cgroup`, "utf8").trim()).to.equal(`0::/system.slice/${UNIT}/jobs/${job.id}`);
    const cgroup = `/sys/fs/cgroup/system.slice/${UNIT}`;
    expect(readFileSync(`${cgroup}/cgroup.subtree_control`, "utf8").trim()).to.include("memory");

    const restart = await run("systemctl", ["restart", UNIT]);
    expect(restart.code).to.not.equal(0);
    expect(await unitProperty(UNIT, "ExecMainStatus")).to.equal("219"); // EXIT_CGROUP
    // Logged by systemd's forked child, which `journalctl -u` does not match (not PID 1, not in the unit yet).
    const journal = await must("journalctl", ["-o", "cat", "--no-pager"]);
    expect(journal).to.match(/Failed at step CGROUP spawning .*node: Device or resource busy/);
    expect(isAlive(job.pid)).to.equal(true); // the job itself was not touched
  });
});
