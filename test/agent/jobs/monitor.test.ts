// The per-job monitor on its own: the real C binary, real jobs, no agent.
import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readlinkSync, statSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanUpAfter } from "../../../agent/jobs/cleanup.js";
import { DEFAULT_MONITOR_PATH, readExitFile, readMonitorFile, startMonitor, UidInUseError, type ExitInfo, type MonitorSpec } from "../../../agent/jobs/monitor.js";
import { MonitorWatch } from "../../../agent/jobs/monitor-watch.js";
import { isAlive, processesOfUid } from "../../helpers/proc.js";
import { tempDir } from "../../helpers/tmp.js";
import { eventually } from "../../helpers/wait.js";

/** Resolves with the exit file once the monitor has renamed it into place (inotify, no polling). */
function exitOf(jobDir: string): Promise<ExitInfo> {
  return new Promise((resolve, reject) => {
    const check = () => void readExitFile(jobDir).then((exit) => exit && (watcher.close(), resolve(exit)), reject);
    const watcher = watch(jobDir, check);
    check();
  });
}

describe("jobworker-monitor", () => {
  let dir: ReturnType<typeof tempDir>;
  let jobDir: string;
  beforeEach(() => {
    dir = tempDir();
    jobDir = join(dir.path, "job");
    mkdirSync(join(jobDir, "work"), { recursive: true });
  });
  afterEach(() => dir.cleanup());

  const spec = (command: string, args: string[], extra: Partial<MonitorSpec> = {}): MonitorSpec => ({
    monitorPath: DEFAULT_MONITOR_PATH, jobDir, workDir: join(jobDir, "work"), command, args, env: { PATH: "/usr/bin:/bin" },
    outputCapBytes: 1 << 30, drainTimeoutMs: 2000, ...extra,
  });

  it("reports the job and the monitor, and writes the same in the monitor file", async () => {
    const info = await startMonitor(spec("sh", ["-c", "echo hi"]));
    expect(info.jobPid).to.be.greaterThan(1);
    expect(info.monitorPid).to.not.equal(info.jobPid);
    expect(info.execError).to.equal(undefined);
    expect(await readMonitorFile(jobDir)).to.deep.equal(info);
    const exit = await exitOf(jobDir);
    expect(exit).to.include({ exitCode: 0, signal: null, outputBytes: 3, droppedBytes: 0 });
    expect(readFileSync(join(jobDir, "output"), "utf8")).to.equal("hi\n");
  });

  it("gives the job exactly fds 0, 1 and 2, even when the agent holds others without close-on-exec", async () => {
    // The agent's own descriptors are close-on-exec; a launcher's need not be: spawn the monitor through a shell that opens fd 7 and 40.
    const script = `exec 7</dev/null 40</dev/null; exec "$@"`; // bash: dash has no fds above 9
    const args = ["-c", script, "bash", DEFAULT_MONITOR_PATH, "-D", jobDir, "-d", join(jobDir, "work"), "--", "ls", "/proc/self/fd"];
    execFileSync("bash", args, { stdio: ["ignore", "ignore", "ignore", "pipe"] });
    await exitOf(jobDir);
    // ls itself opens one descriptor for the directory it lists.
    const fds = readFileSync(join(jobDir, "output"), "utf8").trim().split("\n").map(Number);
    expect(fds.filter((fd) => fd !== Math.max(...fds))).to.deep.equal([0, 1, 2]);
  });

  it("keeps its files to itself: output, monitor and exit files are mode 0600", async () => {
    await startMonitor(spec("true", []));
    await exitOf(jobDir);
    for (const name of ["output", "monitor", "exit"]) expect(statSync(join(jobDir, name)).mode & 0o777, name).to.equal(0o600);
  });

  it("records a command that cannot be executed as an exec error, and a signal death by its name", async () => {
    expect((await startMonitor(spec("no-such-command-xyz", []))).execError).to.match(/exec no-such-command-xyz: No such file or directory/);
    expect((await exitOf(jobDir)).execError).to.match(/No such file/);
    const second = join(dir.path, "second");
    mkdirSync(join(second, "work"), { recursive: true });
    await startMonitor({ ...spec("sh", ["-c", "kill -TERM $$"]), jobDir: second, workDir: join(second, "work") });
    expect(await exitOf(second)).to.include({ exitCode: null, signal: "SIGTERM" });
  });

  it("names the failed step and its errno in both files: exec/ENOENT for a missing command, chdir/ENOENT for a missing working directory", async () => {
    const missing = await startMonitor(spec("no-such-command-xyz", []));
    expect(missing.startFailure).to.deep.equal({ step: "exec", errnoName: "ENOENT" });
    expect((await exitOf(jobDir)).startFailure).to.deep.equal({ step: "exec", errnoName: "ENOENT" });
    const second = join(dir.path, "second");
    mkdirSync(second);
    const noWorkDir = await startMonitor({ ...spec("true", []), jobDir: second, workDir: join(second, "work") });
    expect(noWorkDir.startFailure).to.deep.equal({ step: "chdir", errnoName: "ENOENT" });
    expect(noWorkDir.execError).to.match(/^chdir .*: No such file or directory$/);
    expect((await exitOf(second)).startFailure).to.deep.equal({ step: "chdir", errnoName: "ENOENT" });
  });

  describe("host-wide uid claims (-U)", () => {
    const UID = 70991;
    let claims: string;
    /** A job dir whose work/ the job's uid may use. */
    function jobDirFor(name: string): { jobDir: string; workDir: string } {
      const jobDir = join(dir.path, name);
      const workDir = join(jobDir, "work");
      mkdirSync(workDir, { recursive: true });
      chmodSync(dir.path, 0o711);
      chmodSync(jobDir, 0o711);
      chownSync(workDir, UID, UID);
      return { jobDir, workDir };
    }
    const asOwnUid = (name: string, command: string, args: string[]): MonitorSpec => ({
      ...spec(command, args), ...jobDirFor(name), uid: UID, gid: UID, ownIds: true, uidClaimDir: claims,
    });
    beforeEach(function () {
      if (process.getuid?.() !== 0) this.skip(); // needs root: jobs run as another uid
      claims = join(dir.path, "claims");
      mkdirSync(claims, { mode: 0o700 });
    });

    it("a second monitor for a uid another monitor holds is refused as uid-in-use; once the first job ends, the claim is gone and the uid is free", async () => {
      const first = await startMonitor(asOwnUid("first", "sleep", ["600"]));
      expect(existsSync(join(claims, String(UID)))).to.equal(true);
      const refused = await startMonitor(asOwnUid("second", "true", [])).then(() => undefined, (err: Error) => err);
      expect(refused).to.be.instanceOf(UidInUseError);
      expect(refused!.message).to.match(/claimed by another job's monitor/);
      expect(isAlive(first.jobPid), "the first job keeps running").to.equal(true);
      process.kill(-first.jobPid, "SIGKILL");
      expect(await exitOf(join(dir.path, "first"))).to.include({ cleaned: true });
      expect(existsSync(join(claims, String(UID)))).to.equal(false);
      await startMonitor(asOwnUid("third", "true", []));
      expect(await exitOf(join(dir.path, "third"))).to.include({ exitCode: 0 });
    });

    it("a process already running as the uid makes the monitor refuse it as uid-in-use, naming the process: exec'd as the uid, not dumpable, or root's with the uid as its real uid", async () => {
      // /proc/PID (the directory) belongs to the effective uid, dumpable or not: the first two are found by owner;
      // the third's /proc/PID is root's, and only the monitor's probe (kill(pid, 0) made as the uid) finds it.
      const waitReady = (child: ReturnType<typeof spawn>) => new Promise((resolve) => child.stdout!.once("data", resolve));
      const others = {
        dumpable: spawn("sh", ["-c", "echo ready; exec sleep 600"], { uid: UID, gid: UID, stdio: ["ignore", "pipe", "ignore"] }),
        "not dumpable": spawn(process.execPath, ["-e", `process.setgid(${UID}); process.setuid(${UID}); console.log("ready"); setInterval(() => {}, 1000)`], { stdio: ["ignore", "pipe", "ignore"] }),
        // (not through sh: a shell whose real and effective uids differ drops to the real one)
        "root's": spawn("setpriv", [`--ruid=${UID}`, "--euid=0", "sleep", "600"], { stdio: "ignore" }),
      };
      try {
        await Promise.all([waitReady(others.dumpable), waitReady(others["not dumpable"])]);
        await eventually("setpriv has exec'd sleep", () => { try { return readlinkSync(`/proc/${others["root's"].pid}/exe`).endsWith("/sleep"); } catch { return false; } });
        expect(statSync(`/proc/${others["not dumpable"].pid}/status`).uid, "a uid-changed node is not dumpable").to.equal(0);
        expect(statSync(`/proc/${others["root's"].pid}`).uid, "the setpriv one's /proc entry is root's").to.equal(0);
        for (const [name, other] of Object.entries(others)) {
          const refused = await startMonitor(asOwnUid(name.replace(/\W/g, "-"), "true", [])).then(() => undefined, (err: Error) => err);
          expect(refused, name).to.be.instanceOf(UidInUseError);
          expect(refused!.message, name).to.match(/process \d+ already runs as uid 70991/);
          other.kill("SIGKILL");
          await new Promise((resolve) => other.exitCode !== null || other.signalCode !== null ? resolve(null) : other.once("exit", resolve));
        }
      } finally {
        for (const other of Object.values(others)) other.kill("SIGKILL");
      }
      await startMonitor(asOwnUid("free", "true", []));
      expect(await exitOf(join(dir.path, "free"))).to.include({ exitCode: 0, cleaned: true });
    });

    it("at the job's end every process of its uid dies, even escaped ones that keep forking", async () => {
      // Four escaped (setsid) loops, each forking a sleeper every 10 ms; the job's own process exits at once.
      const loop = `setsid sh -c 'while :; do sleep 1000 & sleep 0.01; done' >/dev/null 2>&1 &`;
      const job = await startMonitor(asOwnUid("forker", "sh", ["-c", `${loop} ${loop} ${loop} ${loop} sleep 0.3; exit 0`]));
      expect(await exitOf(join(dir.path, "forker"))).to.include({ exitCode: 0, cleaned: true });
      expect(isAlive(job.jobPid)).to.equal(false);
      expect(processesOfUid(UID)).to.deep.equal([]);
      expect(existsSync(join(claims, String(UID))), "the claim is released").to.equal(false);
    });

    it("a job stopping every process of its uid in a loop cannot stall its monitor or outlive its end", async () => {
      // kill -STOP -1 from the job's uid reaches every process of that uid but the caller, the job's main shell
      // included: the job is ended from outside, and the monitor's killer (running as the uid) is a target too.
      const job = await startMonitor(asOwnUid("stopper", "sh", ["-c", "setsid sh -c 'while :; do kill -s STOP -1; done' >/dev/null 2>&1 & sleep 600"]));
      process.kill(-job.jobPid, "SIGKILL");
      expect(await exitOf(join(dir.path, "stopper"))).to.include({ signal: "SIGKILL", cleaned: true });
      expect(processesOfUid(UID)).to.deep.equal([]);
    });

    it("a claim file nobody holds (its monitor died) is taken over", async () => {
      writeFileSync(join(claims, String(UID)), "");
      await startMonitor(asOwnUid("job", "true", []));
      expect(await exitOf(join(dir.path, "job"))).to.include({ exitCode: 0, cleaned: true });
    });

    it("cleanup-only (-C) does nothing while another monitor holds the uid: that job is not killed", async () => {
      const live = await startMonitor(asOwnUid("live", "sleep", ["600"]));
      const { workDir } = jobDirFor("lost");
      expect(await cleanUpAfter(DEFAULT_MONITOR_PATH, { uid: UID, gid: UID, ownIds: true }, workDir, claims)).to.equal(false);
      expect(isAlive(live.jobPid)).to.equal(true);
      expect(existsSync(workDir)).to.equal(true);
      process.kill(-live.jobPid, "SIGKILL");
      await exitOf(join(dir.path, "live"));
      expect(await cleanUpAfter(DEFAULT_MONITOR_PATH, { uid: UID, gid: UID, ownIds: true }, workDir, claims)).to.equal(true);
      expect(existsSync(workDir)).to.equal(false);
    });
  });

  it("is outside the job's process group: killing the whole group ends the job, and the monitor records it", async () => {
    const info = await startMonitor(spec("sleep", ["1000"]));
    process.kill(-info.jobPid, "SIGKILL");
    expect(await exitOf(jobDir)).to.include({ exitCode: null, signal: "SIGKILL" });
    expect(isAlive(info.jobPid)).to.equal(false); // reaped by the monitor
  });

  it("drains the job's output until the end even when the output cap is reached: the rest is counted, the job never blocks", async () => {
    await startMonitor(spec("sh", ["-c", "head -c 3000000 /dev/zero; echo end"], { outputCapBytes: 1000 }));
    expect(await exitOf(jobDir)).to.include({ exitCode: 0, outputBytes: 1000, droppedBytes: 3_000_004 - 1000 });
    expect(statSync(join(jobDir, "output")).size).to.equal(1000);
  });

  it("runs as its own session leader, reaps the job's orphans as their subreaper, and exits once the job has ended", async () => {
    // The shell leaves a child behind (orphaned when the shell exits): it must become the monitor's, not init's.
    const info = await startMonitor(spec("sh", ["-c", "sleep 1000 & echo $!"]));
    const fields = readFileSync(`/proc/${info.monitorPid}/stat`, "latin1").split(") ")[1].split(" ");
    expect(Number(fields[3])).to.equal(info.monitorPid); // session id (field 6)
    expect(readFileSync(`/proc/${info.monitorPid}/status`, "utf8")).to.not.match(/^NoNewPrivs:\s+1/m);
    await exitOf(jobDir);
    const orphan = Number(readFileSync(join(jobDir, "output"), "utf8"));
    expect(isAlive(orphan)).to.equal(false); // killed with the job's group when the shell ended, and reaped
    const watch = new MonitorWatch();
    expect(await watch.gone(info.monitorPid, info.monitorStartTicks)).to.equal("gone");
    watch.close();
  });
});
