// jobctl on a real terminal (tmux): Ctrl-C during `run` detaches and leaves
// the job running, twice stops it; Ctrl-C ends `logs -f` with 130 and leaves
// the job running; login's password prompt does not echo.
import { expect } from "chai";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, type TestAgent } from "../../helpers/agent.js";
import { hasTmux, TmuxSession } from "../../helpers/tmux.js";
import { JOBCTL_MAIN, runJobctl } from "../../helpers/run-jobctl.js";

describe("jobctl on a terminal: Ctrl-C and the password prompt (tmux)", function () {
  let agent: TestAgent;
  let session: TmuxSession | undefined;

  before(async function () {
    if (!hasTmux()) this.skip(); // apt-get install tmux (CI installs it)
    agent = await startTestAgent();
  });
  after(async () => {
    await agent?.stop();
    agent?.cleanup();
  });
  afterEach(() => {
    session?.close();
    session = undefined;
  });

  /** A bash script running jobctl on the terminal, then printing its exit status and staying on screen. */
  function onTerminal(args: string[], configPath = agent.jobctlConfigPath): TmuxSession {
    const quoted = [process.execPath, JOBCTL_MAIN, "--config", configPath, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(" ");
    // `trap : INT`: bash survives the Ctrl-C meant for jobctl, to print its status (130 if SIGINT ended it).
    session = TmuxSession.start(`trap : INT\n${quoted}\necho "EXIT=$?"\nsleep 600\n`);
    return session;
  }

  const jobctl = (args: string[]) => runJobctl(["--config", agent.jobctlConfigPath, "--context", "alice", ...args], { env: { JOBCTL_CONFIG: undefined } });

  async function jobStatus(id: string): Promise<string> {
    const run = await jobctl(["status", id]);
    expect(run.code, run.stderr).to.equal(0);
    return /^Status: +(\S+)$/m.exec(run.stdout)![1]!;
  }

  it("run: one Ctrl-C detaches (exit 251, the id on screen); the job keeps running", async () => {
    const tty = onTerminal(["--context", "alice", "run", "--", "sh", "-c", "echo started; sleep 600"]);
    await tty.waitFor(/^started$/m);
    tty.keys("C-c");
    const [, id] = await tty.waitFor(/Detaching from job (\S+); press Ctrl-C again within 2s to stop it\./);
    await tty.waitFor(/^Detached: job \S+ keeps running \(jobctl logs -f \S+ to follow it, jobctl stop \S+ to stop it\)\.\nEXIT=251$/m);
    expect(await jobStatus(id!)).to.equal("RUNNING");
    expect((await jobctl(["stop", id!, "--grace", "0"])).code).to.equal(0);
  });

  it("run: a second Ctrl-C within the window stops the job; jobctl exits with the job's code", async () => {
    const tty = onTerminal(["--context", "alice", "run", "--", "sh", "-c", "echo started; sleep 600"]);
    await tty.waitFor(/^started$/m);
    tty.keys("C-c");
    const [, id] = await tty.waitFor(/Detaching from job (\S+);/);
    tty.keys("C-c");
    await tty.waitFor(/^Stopping job \S+ \(SIGTERM, then SIGKILL after its grace period\)\.\.\.$/m);
    await tty.waitFor(/^EXIT=143$/m); // SIGTERM: 128 + 15
    expect(await jobStatus(id!)).to.equal("STOPPED");
  });

  it("logs -f: Ctrl-C ends it with 130; the job keeps running", async () => {
    const start = await jobctl(["start", "--", "sh", "-c", "echo started; sleep 600"]);
    const id = start.stdout.trim();
    const tty = onTerminal(["--context", "alice", "logs", "-f", id]);
    await tty.waitFor(/^started$/m);
    tty.keys("C-c");
    await tty.waitFor(/^\^CEXIT=130$/m); // the terminal echoes ^C; nothing else is printed
    expect(await jobStatus(id)).to.equal("RUNNING");
    expect((await jobctl(["stop", id, "--grace", "0"])).code).to.equal(0);
  });

  describe("login's password prompt", () => {
    let config: string;
    let password: string;
    beforeEach(() => {
      config = join(agent.stateDir, `tty-${Date.now()}.yaml`);
      copyFileSync(agent.jobctlConfigPath, config);
      const created = agent.logs.find((line) => line.msg === "development users created") as { users: { name: string; password: string }[] };
      password = created.users.find((user) => user.name === "alice")!.password;
    });

    it("reads the password without echoing it", async () => {
      const tty = onTerminal(["--context", "bob", "login", "-u", "alice"], config);
      await tty.waitFor(/^Password:$/m);
      tty.type(password);
      tty.keys("Enter");
      await tty.waitFor(/^EXIT=0$/m);
      const screen = tty.screen();
      expect(screen).to.match(/^Password:\nLogged in as alice \(role user\)/m);
      expect(screen).not.to.include(password);
    });

    it("Ctrl-C at the prompt ends jobctl (130) and gives the terminal back", async () => {
      const tty = onTerminal(["--context", "bob", "login", "-u", "alice"], config);
      await tty.waitFor(/^Password:$/m);
      tty.type("half");
      tty.keys("C-c");
      await tty.waitFor(/^EXIT=130$/m);
      expect(tty.screen()).not.to.include("half");
      // The terminal is back in cooked mode: what is typed now is echoed.
      tty.type("echoed");
      await tty.waitFor(/echoed/);
    });
  });
});
