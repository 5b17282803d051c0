// jobctl completion bash|zsh: the generated scripts, loaded into the real
// shells and asked for candidates as the shells' completion systems would ask
// (bash: COMP_WORDS/COMP_CWORD -> COMPREPLY; zsh: words/CURRENT -> compadd,
// stubbed to print). Context names and job ids come from a real agent.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, type TestAgent } from "../../helpers/agent.js";
import { tempDir } from "../../helpers/tmp.js";
import { JOBCTL_MAIN, runJobctl } from "../../helpers/run-jobctl.js";

const hasZsh = spawnSync("zsh", ["--version"]).status === 0;

describe("jobctl shell completion (bash, zsh)", function () {
  let agent: TestAgent;
  let bin: { path: string; cleanup: () => void };
  let aliceJob: string;
  let bobJob: string;

  before(async () => {
    agent = await startTestAgent();
    // The scripts call `jobctl` by the name typed: put one on PATH.
    bin = tempDir("jobctl-bin-");
    writeFileSync(join(bin.path, "jobctl"), `#!/bin/sh\nexec '${process.execPath}' '${JOBCTL_MAIN}' "$@"\n`);
    chmodSync(join(bin.path, "jobctl"), 0o755);
    const start = async (context: string) =>
      (await runJobctl(["--config", agent.jobctlConfigPath, "--context", context, "start", "--", "sleep", "600"])).stdout.trim();
    aliceJob = await start("alice");
    bobJob = await start("bob");
    const spec = "apiVersion: jobworker/v1\nkind: Job\nmetadata: {name: web}\nspec: {command: /bin/sleep, args: ['600']}\n";
    const applied = await runJobctl(["--config", agent.jobctlConfigPath, "--context", "admin", "apply", "-f", "-"], { stdin: spec });
    if (applied.code !== 0) throw new Error(`apply: ${applied.stderr}`);
  });
  after(async () => {
    await agent.stop();
    agent.cleanup();
    bin.cleanup();
  });

  function shellEnv(): NodeJS.ProcessEnv {
    return { ...process.env, PATH: `${bin.path}:${process.env.PATH}`, JOBCTL_CONFIG: agent.jobctlConfigPath };
  }

  /** The candidates bash offers for the last word of `line` (split at spaces; a trailing space starts an empty word). */
  function bash(line: string): string[] {
    const words = line.split(" ");
    const script = `source <(jobctl completion bash)
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; COMPREPLY=()
_jobctl
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const run = spawnSync("bash", ["-c", script], { env: shellEnv(), encoding: "utf8" });
    expect(run.status, run.stderr).to.equal(0);
    return run.stdout.split("\n").filter((word) => word !== "");
  }

  /** The same for zsh, with compadd (matching the word typed so far, as the real one does) and _files stubbed to print. */
  function zsh(line: string): string[] {
    const words = line.split(" ");
    const script = `compdef() { : }
_files() { print -r -- FILES }
compadd() { [[ $1 == -- ]] && shift; local w; for w in "$@"; do [[ $w == \${words[CURRENT]}* ]] && print -r -- $w; done; return 0 }
source <(jobctl completion zsh)
words=(${words.map((w) => `'${w}'`).join(" ")}); CURRENT=${words.length}
_jobctl`;
    const run = spawnSync("zsh", ["-f", "-c", script], { env: shellEnv(), encoding: "utf8" });
    expect(run.status, run.stderr).to.equal(0);
    return run.stdout.split("\n").filter((word) => word !== "");
  }

  const shells: [string, (line: string) => string[], boolean][] = [
    ["bash", bash, true],
    ["zsh", zsh, hasZsh],
  ];
  for (const [name, complete, available] of shells) {
    describe(name, function () {
      before(function () {
        if (!available) this.skip(); // apt-get install zsh
      });

      it("the script is valid shell", () => {
        const script = spawnSync(process.execPath, [JOBCTL_MAIN, "completion", name], { encoding: "utf8" }).stdout;
        const check = spawnSync(name, ["-n"], { input: script, encoding: "utf8" });
        expect(check.status, check.stderr).to.equal(0);
      });

      it("verbs, and verbs by prefix", () => {
        expect(complete("jobctl ")).to.include.members(["run", "start", "stop", "status", "describe", "logs", "get", "list", "top", "version", "login", "logout", "config", "completion"]);
        expect(complete("jobctl st").sort()).to.deep.equal(["start", "status", "stop", "stream"]);
      });

      it("config subverbs, and context names where a context goes", () => {
        expect(complete("jobctl config ").sort()).to.deep.equal(["current-context", "get-contexts", "import", "set-context", "use", "use-context", "view"]);
        expect(complete("jobctl --context ").sort()).to.deep.equal(["admin", "alice", "bob", "viewer"]);
        expect(complete("jobctl config use-context a").sort()).to.deep.equal(["admin", "alice"]);
      });

      it("job ids for verbs that take one, asked with the --context typed", () => {
        expect(complete("jobctl status ")).to.include.members([aliceJob, bobJob]);
        expect(complete("jobctl --context alice stop ")).to.deep.equal([aliceJob]);
        expect(complete(`jobctl --context bob logs -f ${bobJob.slice(0, 4)}`)).to.deep.equal([bobJob]);
        expect(complete("jobctl describe ")).to.deep.equal(["job", "spec"]);
        expect(complete("jobctl --context alice describe job ")).to.deep.equal([aliceJob]);
      });

      it("spec names where a spec goes, asked with the --context typed", () => {
        expect(complete("jobctl --context admin describe spec ")).to.deep.equal(["web"]);
        expect(complete("jobctl --context admin delete spec w")).to.deep.equal(["web"]);
        expect(complete("jobctl --context bob delete spec "), "bob sees none of admin's").to.deep.equal([]);
        expect(complete("jobctl --context admin logs spec/")).to.deep.equal(["spec/web"]);
      });

      it("flags per verb, and -o values", () => {
        expect(complete("jobctl logs --t")).to.deep.equal(["--tail-bytes"]);
        expect(complete("jobctl get -o ").sort()).to.deep.equal(["json", "name", "wide", "yaml"]);
        expect(complete("jobctl get -o wide ")).to.deep.equal(["jobs", "specs"]);
        expect(complete("jobctl apply -f "), "apply -f takes a file: jobctl offers nothing").to.deep.equal([]);
        expect(complete("jobctl completion ").sort()).to.deep.equal(["bash", "zsh"]);
      });
    });
  }
});
