// jobctl's kubectl-like verbs end to end: the compiled CLI against the real
// jobagent (mutual TLS on loopback, its development PKI): get jobs in every
// output format, describe, logs --tail-bytes, top, version, run's exit codes,
// the config verbs on one file and on two merged files, and get jobs across
// List's pages.
import { expect } from "chai";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { startTestAgent, type TestAgent } from "../../helpers/agent.js";
import { inListOrder, seedFinishedJobs, type SeededJob } from "../../helpers/records.js";
import { runJobctl, type JobctlRun } from "../../helpers/run-jobctl.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("jobctl verbs end to end (real agent, mTLS on loopback)", function () {
  let agent: TestAgent;

  before(async () => (agent = await startTestAgent()));
  after(async () => {
    await agent.stop();
    agent.cleanup();
  });

  const jobctl = (context: string, args: string[], env: Record<string, string | undefined> = {}) =>
    runJobctl(["--config", agent.jobctlConfigPath, "--context", context, ...args], { env: { JOBCTL_CONFIG: undefined, ...env } });

  function expectOk(run: JobctlRun): void {
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.equal("");
  }

  async function start(context: string, command: string[], flags: string[] = []): Promise<string> {
    const run = await jobctl(context, ["start", ...flags, "--", ...command]);
    expectOk(run);
    return run.stdout.trim();
  }

  async function waitEnded(context: string, id: string): Promise<void> {
    expectOk(await jobctl(context, ["logs", "-f", id]));
  }

  describe("get jobs", () => {
    let running: string;
    let exited: string;
    before(async () => {
      running = await start("alice", ["sleep", "600"]);
      exited = await start("bob", ["sh", "-c", "exit 4"]);
      await waitEnded("bob", exited);
    });
    after(async () => expectOk(await jobctl("admin", ["stop", running, "--grace", "0"])));

    it("prints the kubectl-style table (list and ls are aliases)", async () => {
      for (const verb of [["get", "jobs"], ["get", "job"], ["list"], ["ls"]]) {
        const run = await jobctl("admin", verb);
        expectOk(run);
        expect(run.stdout.split("\n")[0]).to.match(/^ID {37}OWNER +STATUS +REASON +AGE +COMMAND$/);
        expect(run.stdout).to.match(new RegExp(`^${running} +alice +RUNNING +- +\\d+s +sleep 600$`, "m"));
      }
    });

    it("-o wide adds PID, EXIT, SIGNAL and the limits", async () => {
      const run = await jobctl("admin", ["get", "jobs", "-o", "wide"]);
      expectOk(run);
      expect(run.stdout.split("\n")[0]).to.match(/^ID +OWNER +STATUS +REASON +AGE +PID +EXIT +SIGNAL +CPU-LIMIT +MEM-LIMIT +COMMAND$/);
      expect(run.stdout).to.match(new RegExp(`^${exited} +bob +EXITED +Error +\\d+s +\\d+ +4 +- +- +- +sh -c 'exit 4'$`, "m"));
    });

    it("-o json and -o yaml print a List of full status objects that parse", async () => {
      const json = await jobctl("admin", ["get", "jobs", "-o", "json"]);
      expectOk(json);
      const list = JSON.parse(json.stdout) as { kind: string; items: Record<string, unknown>[] };
      expect(list.kind).to.equal("List");
      const item = list.items.find((job) => job.id === exited)!;
      expect(item).to.deep.include({ owner: "bob", JobStatus: "EXITED", exitCode: 4, reason: "Error", commandName: "sh", arguments: ["-c", "exit 4"] });
      expect(item.startTime).to.match(/^\d{4}-\d\d-\d\dT.*Z$/);
      const yaml = await jobctl("admin", ["get", "jobs", "-o", "yaml"]);
      expectOk(yaml);
      expect(parse(yaml.stdout)).to.deep.equal(list);
    });

    it("-o name prints the ids; -l filters by status and owner", async () => {
      const names = await jobctl("admin", ["get", "jobs", "-o", "name"]);
      expectOk(names);
      expect(names.stdout.trim().split("\n")).to.include.members([running, exited]).and.satisfy((ids: string[]) => ids.every((id) => UUID.test(id)));
      const filtered = await jobctl("admin", ["get", "jobs", "-l", "status=RUNNING,owner=alice", "-o", "name"]);
      expect(filtered.stdout).to.equal(`${running}\n`);
      expect((await jobctl("admin", ["list", "-l", "owner in (bob),reason notin (Completed,Stopped)", "-o", "name"])).stdout).to.equal(`${exited}\n`);
    });

    it("-l only narrows what the role shows: bob sees none of alice's jobs", async () => {
      const run = await jobctl("bob", ["get", "jobs", "-l", "owner=alice"]);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.equal("");
      expect(run.stderr).to.equal("No jobs found.\n");
    });

    it("a malformed selector or output format is a usage error", async () => {
      const bad = await jobctl("admin", ["get", "jobs", "-l", "pid=1"]);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.match(/unknown key "pid"/);
      expect((await jobctl("admin", ["get", "jobs", "-o", "xml"])).stderr).to.match(/Allowed choices are wide, json, yaml, name/);
      expect((await jobctl("admin", ["get", "pods"])).stderr).to.match(/value 'pods' is invalid for argument 'resource'/);
    });
  });

  it("describe job shows exit details, times, limits and usage", async () => {
    const id = await start("alice", ["sh", "-c", "echo out; exit 7"], ["--grace", "3s"]);
    await waitEnded("alice", id);
    const run = await jobctl("alice", ["describe", "job", id]);
    expectOk(run);
    expect(run.stdout).to.match(new RegExp(`^ID: +${id}\nCommand: +sh -c 'echo out; exit 7'\nOwner: +alice\n`));
    expect(run.stdout).to.match(/^Status: +EXITED$/m).and.match(/^Exit Code: +7$/m).and.match(/^Grace Period: +3s$/m);
    expect(run.stdout).to.match(/^Duration: +\d+\.\d{3}s$/m).and.match(/^Output: +4 bytes$/m);
    expect(run.stdout).to.match(/^Limits: +<none>$/m).and.match(/^Usage: +<none> \(needs cgroup v2 on the agent\)$/m);
  });

  it("logs --tail-bytes starts that many bytes before the end (and not with --offset)", async () => {
    const id = await start("alice", ["sh", "-c", "printf 'one\\ntwo\\nthree\\n'"]);
    await waitEnded("alice", id);
    const tail = await jobctl("alice", ["logs", "--tail-bytes", "6", id]);
    expectOk(tail);
    expect(tail.stdout).to.equal("three\n");
    expect((await jobctl("alice", ["logs", "--tail-bytes", "1000", id])).stdout).to.equal("one\ntwo\nthree\n");
    const both = await jobctl("alice", ["logs", "--tail-bytes", "6", "--offset", "1", id]);
    expect(both.code).to.equal(2);
    expect(both.stderr).to.match(/cannot be used with option '--offset/);
  });

  it("top lists running jobs, with - and a note when the agent has no cgroup v2", async () => {
    const id = await start("bob", ["sleep", "600"]);
    try {
      const run = await jobctl("bob", ["top"]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout.split("\n")[0]).to.match(/^ID +OWNER +CPU\(cores\) +MEMORY +PEAK +PIDS +COMMAND$/);
      expect(run.stdout).to.match(new RegExp(`^${id} +bob +- +- +- +- +sleep$`, "m"));
      expect(run.stderr).to.match(/^Note: live usage needs cgroup v2 on the agent/);
      const json = JSON.parse((await jobctl("bob", ["top", "-o", "json"])).stdout) as { items: { id: string; available: boolean }[] };
      expect(json.items).to.deep.include({ id, owner: "bob", commandName: "sleep", cpuCores: 0, memoryBytes: "0", memoryPeakBytes: "0", pids: "0", available: false });
    } finally {
      expectOk(await jobctl("bob", ["stop", id, "--grace", "0"]));
    }
  });

  it("version shows jobctl's and the agent's versions; --client needs no agent", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")) as { version: string };
    const run = await jobctl("viewer", ["version"]);
    expectOk(run);
    expect(run.stdout).to.match(new RegExp(`^Client Version: ${version.replace(/\./g, "\\.")}\nAgent Version: \\d+\\.\\d+\\.\\d+.*\n$`));
    const client = await runJobctl(["version", "--client"], { env: { JOBCTL_CONFIG: "/nonexistent" } });
    expectOk(client);
    expect(client.stdout).to.equal(`Client Version: ${version}\n`);
    expect((await runJobctl(["--version"])).stdout).to.equal(`${version}\n`);
  });

  describe("run streams the output and exits with the job's code", () => {
    const cases: [string, string[], number, RegExp | string][] = [
      ["exit 0", ["sh", "-c", "echo hello"], 0, ""],
      ["exit 3, stdout and stderr combined", ["sh", "-c", "echo out; echo err >&2; exit 3"], 3, ""],
      ["a signal: 128 + its number", ["sh", "-c", "kill -TERM $$"], 143, ""],
      ["a command not found (FAILED): 127 and the message", ["no-such-command-here"], 127, /^error: job \S+ failed to start: exec no-such-command-here: No such file or directory\n$/],
      ["a command that cannot be executed (FAILED): 126", ["/etc/passwd"], 126, /failed to start: exec \/etc\/passwd: Permission denied\n$/],
    ];
    for (const [name, command, code, stderr] of cases) {
      it(name, async () => {
        const run = await jobctl("alice", ["run", "--", ...command]);
        expect(run.code, run.stderr).to.equal(code);
        if (typeof stderr === "string") expect(run.stderr).to.equal(stderr);
        else expect(run.stderr).to.match(stderr);
        if (name.startsWith("exit 0")) expect(run.stdout).to.equal("hello\n");
        if (name.startsWith("exit 3")) expect(run.stdout).to.equal("out\nerr\n");
      });
    }

    it("passes limits and --grace like start (refused without cgroup v2: exit 5)", async () => {
      const run = await jobctl("alice", ["run", "--memory", "64Mi", "--", "true"]);
      expect(run.code).to.equal(5);
      expect(run.stderr).to.match(/^error: FAILED_PRECONDITION: /);
    });
  });

  describe("contexts", () => {
    let config: string;
    beforeEach(() => {
      // A copy next to the original, so its relative paths still resolve and other tests keep theirs.
      config = join(agent.stateDir, `contexts-${Date.now()}.yaml`);
      copyFileSync(agent.jobctlConfigPath, config);
    });
    /** jobctl with --config (the copy), or with `env` (JOBCTL_CONFIG) and no --config. */
    const ctl = (args: string[], env?: Record<string, string | undefined>) =>
      runJobctl(env || args[0] === "--config" ? args : ["--config", config, ...args], { env: env ?? { JOBCTL_CONFIG: undefined } });
    const identity = async (args: string[] = [], env?: Record<string, string | undefined>) => {
      const run = await ctl([...args, "info"], env);
      expect(run.code, run.stderr).to.equal(0);
      return /^You: +(.*)$/m.exec(run.stdout)![1];
    };

    it("get-contexts, current-context, use-context, and --context on any verb", async () => {
      const table = await ctl(["config", "get-contexts"]);
      expectOk(table);
      expect(table.stdout).to.equal(
        "CURRENT   NAME     CLUSTER   USER\n*         admin    local     admin\n          alice    local     alice\n          bob      local     bob\n          viewer   local     viewer\n",
      );
      expect((await ctl(["config", "get-contexts", "-o", "name"])).stdout).to.equal("admin\nalice\nbob\nviewer\n");
      expect((await ctl(["config", "current-context"])).stdout).to.equal("admin\n");
      expect(await identity()).to.equal("admin (role admin)");

      const use = await ctl(["config", "use-context", "viewer"]);
      expectOk(use);
      expect(use.stdout).to.equal('Switched to context "viewer".\n');
      expect((await ctl(["config", "current-context"])).stdout).to.equal("viewer\n");
      expect(await identity()).to.equal("viewer (role readonly)");
      expect(await identity(["--context", "bob"])).to.equal("bob (role user)");
      const bogus = await ctl(["config", "use-context", "carol"]);
      expect(bogus.code).to.equal(2);
      expect(bogus.stderr).to.equal('error: no context named "carol"; contexts: admin, alice, bob, viewer\n');
    });

    it("set-context creates a context and changes one (--current)", async () => {
      const created = await ctl(["config", "set-context", "alice-as-bob", "--cluster", "local", "--user", "bob"]);
      expectOk(created);
      expect(created.stdout).to.equal('Context "alice-as-bob" created.\n');
      expect(await identity(["--context", "alice-as-bob"])).to.equal("bob (role user)");
      expectOk(await ctl(["config", "use-context", "alice-as-bob"]));
      const modified = await ctl(["config", "set-context", "--current", "--user", "alice"]);
      expect(modified.stdout).to.equal('Context "alice-as-bob" modified.\n');
      expect(await identity()).to.equal("alice (role user)");
      expect((await ctl(["config", "set-context", "x", "--current"])).code).to.equal(2);
    });

    it("merges two files (JOBCTL_CONFIG=a:b) as kubectl does, and writes each change to the right file", async () => {
      mkdirSync(join(agent.stateDir, "mine"), { recursive: true });
      const mine = join(agent.stateDir, "mine", `personal-${Date.now()}.yaml`);
      // Only contexts: clusters and users come from the second file. "admin" here shadows the second file's.
      writeFileSync(mine, "contexts:\n- name: admin\n  context: {cluster: local, user: viewer}\n- name: mine\n  context: {cluster: local, user: alice}\n");
      const env = { JOBCTL_CONFIG: `${mine}:${config}` };
      const merged = await ctl(["config", "get-contexts"], env);
      expectOk(merged);
      expect(merged.stdout.split("\n").slice(1, 3)).to.deep.equal(["*         admin    local     viewer", "          mine     local     alice"]);
      expect(await identity([], env)).to.equal("viewer (role readonly)"); // current-context "admin" from the second file, the entry from the first
      expect(await identity(["--context", "mine"], env)).to.equal("alice (role user)");

      const before = readFileSync(config, "utf8");
      expectOk(await ctl(["config", "use-context", "bob"], env));
      expect(readFileSync(mine, "utf8")).to.match(/^current-context: bob$/m); // the first file that exists
      expect(await identity([], env)).to.equal("bob (role user)");
      expectOk(await ctl(["config", "set-context", "mine", "--user", "bob"], env)); // defined in the first file
      expectOk(await ctl(["config", "set-context", "viewer", "--user", "alice"], env)); // defined in the second
      expect(readFileSync(mine, "utf8")).to.include("{ cluster: local, user: bob }");
      expect(readFileSync(config, "utf8")).not.to.equal(before);
      expect(await identity(["--context", "viewer"], env)).to.equal("alice (role user)");
      const view = parse((await ctl(["config", "view", "--minify"], env)).stdout) as { contexts: unknown[]; users: { name: string }[] };
      expect(view.contexts).to.deep.equal([{ name: "bob", context: { cluster: "local", user: "bob" } }]);
      expect(view.users.map((u) => u.name)).to.deep.equal(["bob"]);
    });

    it("a config error names the file and the field", async () => {
      writeFileSync(config, readFileSync(config, "utf8").replace("user: bob\n", "user: carol\n"));
      const run = await ctl(["--config", config, "--context", "bob", "get", "jobs"]);
      expect(run.code).to.equal(2);
      expect(run.stderr).to.equal(`error: config ${config}: contexts[2].context.user: user "carol" not found\n`);
    });
  });

  it("a job id printed by -o name works with every id verb", async () => {
    const id = await start("alice", ["sleep", "600"]);
    const ids = (await jobctl("alice", ["get", "jobs", "-l", "status in (RUNNING,STARTED)", "-o", "name"])).stdout.trim().split("\n");
    expect(ids).to.include(id);
    expectOk(await jobctl("alice", ["status", id]));
    expectOk(await jobctl("alice", ["stop", id, "--grace", "0"]));
  });
});

describe("jobctl get jobs fetches every page of List (real agent, 40 jobs of 256 KiB arguments)", function () {
  let agent: TestAgent;
  let seeded: SeededJob[];

  before(async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "jobagent-test-"));
    // 10 MiB of jobs: over jobctl's 4 MiB receive limit in one message, five pages or more.
    seeded = seedFinishedJobs(stateDir, 40, ["alice", "bob"], 256 * 1024);
    agent = await startTestAgent({ stateDir });
  });
  after(async () => {
    await agent.stop();
    agent.cleanup();
  });

  const jobctl = (context: string, args: string[]) =>
    runJobctl(["--config", agent.jobctlConfigPath, "--context", context, ...args], { env: { JOBCTL_CONFIG: undefined } });

  it("-o name lists every job once, oldest first; a user's only its own", async () => {
    const admin = await jobctl("admin", ["get", "jobs", "-o", "name"]);
    expect(admin.code, admin.stderr).to.equal(0);
    expect(admin.stdout).to.equal(inListOrder(seeded).map((job) => `${job.id}\n`).join(""));
    const alice = await jobctl("alice", ["list", "-o", "name"]);
    expect(alice.stdout).to.equal(inListOrder(seeded.filter((job) => job.owner === "alice")).map((job) => `${job.id}\n`).join(""));
  });

  it("the table and -o json hold every job, with its arguments whole", async () => {
    const table = await jobctl("admin", ["get", "jobs"]);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout.trim().split("\n")).to.have.length(1 + seeded.length);
    const json = await jobctl("admin", ["get", "jobs", "-o", "json"]);
    const items = (JSON.parse(json.stdout) as { items: { id: string; arguments: string[] }[] }).items;
    expect(items.map((item) => item.id)).to.deep.equal(inListOrder(seeded).map((job) => job.id));
    expect(items.every((item) => item.arguments.join("").length === 256 * 1024)).to.equal(true);
  });
});
