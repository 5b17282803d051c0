// Process groups and process identity across pid reuse, with real processes.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { isSameProcess, isStillRunning, processStartTicks, signalGroup } from "../../../agent/jobs/process.js";
import { groupMembers, isAlive } from "../../helpers/proc.js";
import { eventually } from "../../helpers/wait.js";

/** The pid of a zombie child of `parent`, if it has one. */
function zombieChildOf(parent: number): number | undefined {
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "latin1");
    } catch {
      continue; // gone meanwhile
    }
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (state === "Z" && Number(ppid) === parent) return Number(name);
  }
  return undefined;
}

/** A process group of its own: sh (the leader) and a sleep under it. */
async function group(): Promise<ChildProcess> {
  const leader = spawn("sh", ["-c", "sleep 1000 & wait"], { detached: true, stdio: "ignore" });
  await eventually("the group's sleep to start", () => groupMembers(leader.pid!).length === 2);
  return leader;
}

describe("jobs/process", () => {
  const started: ChildProcess[] = [];
  afterEach(() => {
    for (const child of started.splice(0)) signalGroup(child.pid!, "SIGKILL");
  });

  it("signalGroup reaches every process of the group", async () => {
    const leader = await group();
    started.push(leader);
    const members = groupMembers(leader.pid!);
    expect(signalGroup(leader.pid!, "SIGKILL")).to.equal(true);
    await eventually("the whole group to die", () => members.every((pid) => !isAlive(pid)));
  });

  it("signalGroup says false once the group is gone", async () => {
    // A group of one process, this one's child: once reaped, nothing of the group is left (no zombie for init to reap).
    const alone = spawn("sleep", ["1000"], { detached: true, stdio: "ignore" });
    started.push(alone);
    await eventually("sleep to start", () => isAlive(alone.pid!));
    const exited = once(alone, "exit");
    expect(signalGroup(alone.pid!, "SIGKILL")).to.equal(true);
    await exited;
    expect(signalGroup(alone.pid!, "SIGKILL")).to.equal(false);
  });

  it("signalGroup never signals everything (-1) or init's group", () => {
    // process.kill is replaced by a recorder here: were the guard to regress, the real
    // kill(-1) would reach every process of the (root) test machine, kill(0) mocha's own group.
    const sent: number[] = [];
    const kill = process.kill;
    process.kill = ((pid: number) => (sent.push(pid), true)) as typeof process.kill;
    try {
      expect(signalGroup(1, "SIGTERM")).to.equal(false);
      expect(signalGroup(0, "SIGTERM")).to.equal(false);
      expect(signalGroup(-5, "SIGTERM")).to.equal(false);
      expect(signalGroup(4242, "SIGTERM"), "the recorder stands in for kill").to.equal(true);
    } finally {
      process.kill = kill;
    }
    expect(sent).to.deep.equal([-4242]);
  });

  it("a process is told apart from a later one with its pid by its start time", async () => {
    const leader = await group();
    started.push(leader);
    const ticks = processStartTicks(leader.pid!);
    expect(ticks).to.match(/^\d+$/);
    expect(isSameProcess(leader.pid, ticks)).to.equal(true);
    expect(isStillRunning(leader.pid, ticks)).to.equal(true);
    expect(isSameProcess(leader.pid, String(Number(ticks) + 1)), "another start time: another process").to.equal(false);
    expect(isStillRunning(leader.pid, String(Number(ticks) + 1))).to.equal(false);
  });

  it("a zombie is the same process (its pid is not free yet), but not still running", async () => {
    // sh starts a short child, then execs sleep, which never reaps it: the child stays a zombie.
    const parent = spawn("sh", ["-c", "true & exec sleep 1000"], { detached: true, stdio: "ignore" });
    started.push(parent);
    const zombie = await eventually("the unreaped child to be a zombie", () => zombieChildOf(parent.pid!));
    const ticks = processStartTicks(zombie);
    expect(ticks).to.match(/^\d+$/);
    expect(isSameProcess(zombie, ticks)).to.equal(true);
    expect(isStillRunning(zombie, ticks)).to.equal(false);
  });

  it("no pid, pid 0 or 1, or no start time is never the same process", () => {
    const self = processStartTicks(process.pid);
    expect(isSameProcess(undefined, self)).to.equal(false);
    expect(isSameProcess(1, processStartTicks(1))).to.equal(false);
    expect(isSameProcess(process.pid, undefined)).to.equal(false);
    expect(isSameProcess(process.pid, "")).to.equal(false);
    expect(isSameProcess(process.pid, self)).to.equal(true);
    expect(isStillRunning(process.pid, self)).to.equal(true);
    expect(processStartTicks(2 ** 22 + 1)).to.equal(undefined); // above pid_max: never a process
  });
});
