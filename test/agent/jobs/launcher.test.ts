// The monitor launcher (agent/jobs/launcher.ts, agent/shim/jobworker-launcher.c):
// what a launched process gets, and its report, through the real helper and
// through the spawn() fallback alike.
import { expect } from "chai";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Launcher, spawnDirectly } from "../../../agent/jobs/launcher.js";
import { DEFAULT_MONITOR_PATH, startMonitor } from "../../../agent/jobs/monitor.js";
import { isAlive } from "../../helpers/proc.js";
import { tempDir } from "../../helpers/tmp.js";
import { eventually } from "../../helpers/wait.js";

/** The pid of this process's jobworker-launcher child, if it runs. */
function launcherHelperPid(): number | undefined {
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && stat.includes("(jobworker-launc)")) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

// What the launched shell finds: its fds (by target), whether it leads its session, cwd, argv and env.
const PROBE = [
  "ls -l /proc/$$/fd >&3 & wait", // the shell's own descriptors (in the background, the redirection is ls's alone)
  "set -- $(cat /proc/$$/stat | sed 's/.*) //'); [ \"$4\" = $$ ] && echo 'session leader' >&3", // field 6 (session) after the comm
  "echo \"cwd $(pwd)\" >&3",
  "echo \"arg $ARG1 env $FOO\" >&3",
  "grep -E '^(SigBlk|SigIgn):' /proc/self/status >&3", // grep's own, as passed on: the shell's own mask changes while it forks
].join("; ");

function probe(run: (path: string, args: string[], env: Record<string, string>) => Promise<string>): Promise<string> {
  return run("/bin/sh", ["-c", `ARG1="$0"; ${PROBE}`, "first arg"], { FOO: "bar baz", PATH: "/usr/bin:/bin" });
}

describe("monitor launcher", () => {
  let launcher: Launcher;
  beforeEach(() => (launcher = new Launcher()));
  afterEach(() => launcher.close());

  it("gives the launched process what spawn() gives it: /dev/null on 0-2, the report pipe on 3 (and nothing else), its own session, cwd /, its args and env, no signal blocked or ignored", async () => {
    const report = await probe((p, a, e) => launcher.run(p, a, e));
    const fds = new Map([...report.matchAll(/ (\d+) -> (.*)$/gm)].map(([, fd, target]) => [fd, target]));
    expect([...fds.keys()]).to.deep.equal(["0", "1", "2", "3"]);
    expect([0, 1, 2].map((fd) => fds.get(String(fd)))).to.deep.equal(["/dev/null", "/dev/null", "/dev/null"]);
    expect(fds.get("3")).to.match(/^pipe:/);
    expect(report).to.include("session leader\ncwd /\narg first arg env bar baz\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
    // spawn() (the fallback) gives the same but for fd 3, a socket pair, and a stray descriptor of libuv's; the monitor closes all above 3.
    const direct = await probe(spawnDirectly);
    expect(direct).to.include("session leader\ncwd /\narg first arg env bar baz\n");
  });

  it("answers each of many launches in flight with its own report", async () => {
    const reports = await Promise.all(Array.from({ length: 50 }, (_, i) => launcher.run("/bin/sh", ["-c", `sleep 0.0$((${i} % 5)); echo report ${i} >&3`], {})));
    expect(reports).to.deep.equal(Array.from({ length: 50 }, (_, i) => `report ${i}\n`));
  });

  it("rejects a path that cannot be executed, naming it and why, and launches the next one", async () => {
    const err = await launcher.run("/no/such/monitor", [], {}).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.equal("spawn /no/such/monitor: No such file or directory");
    expect(await launcher.run("/bin/sh", ["-c", "echo ok >&3"], {})).to.equal("ok\n");
  });

  it("relays a report larger than a pipe's buffer whole, and one closed without a word as empty", async () => {
    expect(await launcher.run("/bin/sh", ["-c", "head -c 12000 /dev/zero | tr '\\0' x >&3"], {})).to.equal("x".repeat(12000));
    expect(await launcher.run("/bin/true", [], {})).to.equal("");
  });

  it("falls back to spawn() when the helper cannot be run", async () => {
    const missing = new Launcher("/no/such/jobworker-launcher");
    try {
      expect(await missing.run("/bin/sh", ["-c", "echo fallback >&3"], {})).to.equal("fallback\n");
      expect(await missing.run("/bin/sh", ["-c", "echo again >&3"], {})).to.equal("again\n");
    } finally {
      missing.close();
    }
  });

  it("when the helper dies with a launch under way, the monitor it started is found from its monitor file: the job is not lost", async () => {
    const dir = tempDir();
    try {
      // A monitor that takes a second to start: the helper is killed meanwhile, and the monitor goes on without it.
      // It says when it runs: killed before it had read the launch, the helper would have launched nothing.
      const slow = join(dir.path, "slow-monitor");
      const launched = join(dir.path, "launched");
      writeFileSync(slow, `#!/bin/sh\n: > ${launched}\nsleep 1\nexec ${DEFAULT_MONITOR_PATH} "$@"\n`, { mode: 0o755 });
      const jobDir = join(dir.path, "job");
      mkdirSync(join(jobDir, "work"), { recursive: true });
      const started = startMonitor({
        monitorPath: slow, jobDir, workDir: join(jobDir, "work"), command: "sleep", args: ["600"], env: { PATH: "/usr/bin:/bin" },
        outputCapBytes: 1 << 20, drainTimeoutMs: 1000,
      }, launcher);
      const helper = await eventually("the launcher helper runs", launcherHelperPid);
      await eventually("the helper launched the monitor", () => existsSync(launched));
      process.kill(helper, "SIGKILL");
      const info = await started;
      expect(isAlive(info.jobPid), "the job runs, and the agent knows it").to.equal(true);
      process.kill(-info.jobPid, "SIGKILL");
      // Its monitor then records the end in the job's directory: removing that meanwhile fails (ENOTEMPTY).
      await eventually("the monitor done", () => !isAlive(info.monitorPid));
    } finally {
      dir.cleanup();
    }
  });
});
