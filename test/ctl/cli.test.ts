// The compiled jobctl, as a user runs it: usage errors exit 2 with exactly
// one line on stderr and nothing on stdout, before any connection is tried.
import { expect } from "chai";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/tmp.js";
import { runJobctl, type JobctlRun } from "../helpers/run-jobctl.js";

const ID = "0b5c6a8e-6f3e-4d7a-9c1b-2e4f5a6b7c8d";

describe("jobctl command line (compiled, spawned)", () => {
  let dir: { path: string; cleanup: () => void };
  before(() => (dir = tempDir("jobctl-cli-")));
  after(() => dir.cleanup());

  /** Runs jobctl with HOME and JOBCTL_CONFIG pointing into the temp dir unless `env` says otherwise. */
  function jobctl(args: string[], env: Record<string, string | undefined> = {}): Promise<JobctlRun> {
    return runJobctl(args, { env: { HOME: dir.path, JOBCTL_CONFIG: undefined, ...env } });
  }

  function expectUsageError(run: JobctlRun, pattern: RegExp): void {
    expect(run.code, run.stderr).to.equal(2);
    expect(run.stdout).to.equal("");
    expect(run.stderr.split("\n")).to.have.length(2); // one line and its newline
    expect(run.stderr).to.match(/^error: /);
    expect(run.stderr).to.match(pattern);
  }

  const usageErrors: [string, string[], RegExp][] = [
    ["an unknown option", ["list", "--bogus"], /unknown option '--bogus'/],
    ["an unknown option with a suggestion (kept on one line)", ["status", "--hepl"], /unknown option '--hepl'.*Did you mean --help\?/],
    ["an unknown command", ["launch"], /unknown command 'launch'/],
    ["start without a command", ["start"], /missing required argument 'cmd'/],
    ["a malformed duration", ["start", "--grace", "5x", "--", "true"], /'--grace <duration>' argument '5x' is invalid/],
    ["an option needing a value", ["stop", ID, "--grace"], /option '--grace <duration>' argument missing/],
    ["a malformed offset", ["logs", ID, "--offset", "-3"], /--offset/],
    ["too many arguments", ["status", ID, ID], /too many arguments/],
    ["a job id missing", ["status"], /a job id is required/],
    ["two different job ids", ["stop", ID, "-j", ID.replace("0b", "1b")], /two different job ids/],
    ["run without a command", ["run"], /missing required argument 'cmd'/],
    ["run with a malformed limit", ["run", "--memory", "lots", "--", "true"], /'--memory <bytes>' argument 'lots' is invalid/],
    ["get with an unknown resource", ["get", "pods"], /argument value 'pods' is invalid for argument 'resource'\. Allowed choices are jobs, job/],
    ["an unknown output format", ["get", "jobs", "-o", "xml"], /argument 'xml' is invalid\. Allowed choices are wide, json, yaml, name/],
    ["a malformed selector", ["list", "-l", "status"], /"status" is not a requirement/],
    ["a selector on an unknown key", ["get", "jobs", "-l", "pid=1"], /unknown key "pid": use status, owner, reason/],
    ["describe without an id", ["describe", "job"], /missing required argument 'id'/],
    ["--tail-bytes with --offset", ["logs", ID, "--tail-bytes", "5", "--offset", "1"], /option '--tail-bytes <bytes>' cannot be used with option '--offset <bytes>'/],
    ["login without a username", ["login"], /required option '-u, --username <name>' not specified/],
    ["completion for an unknown shell", ["completion", "fish"], /Allowed choices are bash, zsh/],
    ["set-context with a name and --current", ["config", "set-context", "x", "--current"], /a context name or --current, not both/],
    ["set-context with neither", ["config", "set-context"], /a context name \(or --current\) is required/],
  ];
  for (const [name, args, pattern] of usageErrors) {
    it(`exits 2 on ${name}`, async () => expectUsageError(await jobctl(args), pattern));
  }

  describe("malformed job ids are usage errors, for every verb and form", () => {
    const forms = [["status", "nope"], ["query", "-j", "nope"], ["stop", "nope"], ["stop", "-j", "nope"], ["logs", "nope"], ["logs", "-f", "-j", "nope"], ["stream", "-j", "nope"], ["stream", `${ID}x`], ["describe", "job", "nope"]];
    for (const args of forms) {
      it(`jobctl ${args.join(" ")}`, async () => expectUsageError(await jobctl(args), /malformed job id "nope|malformed job id "0b5c/));
    }
  });

  describe("config errors are usage errors naming the file and field", () => {
    it("a missing default config points at how to get one", async () => {
      expectUsageError(await jobctl(["list"]), new RegExp(`config ${join(dir.path, ".jobworker", "config")}: cannot read: no such file \\(start jobagent`));
    });

    it("--config wins over JOBCTL_CONFIG, which wins over the default", async () => {
      const fromEnv = join(dir.path, "env.yaml");
      const fromFlag = join(dir.path, "flag.yaml");
      writeFileSync(fromEnv, "clusters: []\nusers: []\ncontexts: []\ncurrent-context: env-context\n");
      writeFileSync(fromFlag, "clusters: []\nusers: []\ncontexts: []\ncurrent-context: flag-context\n");
      expectUsageError(await jobctl(["--config", fromFlag, "list"], { JOBCTL_CONFIG: fromEnv }), new RegExp(`^error: config ${fromFlag}: current-context: context "flag-context" not found`));
      expectUsageError(await jobctl(["list"], { JOBCTL_CONFIG: fromEnv }), new RegExp(`^error: config ${fromEnv}: current-context: context "env-context" not found`));
      // Global options may also follow the verb.
      expectUsageError(await jobctl(["list", "--config", fromFlag], { JOBCTL_CONFIG: fromEnv }), new RegExp(`config ${fromFlag}:`));
    });

    it("--context naming no context", async () => {
      const path = join(dir.path, "one.yaml");
      writeFileSync(path, "clusters: []\nusers: []\ncontexts:\n- name: admin\n  context: {cluster: local, user: admin}\ncurrent-context: admin\n");
      expectUsageError(await jobctl(["--config", path, "--context", "carol", "list"]), /contexts: context "carol" not found \(from --context\); contexts: admin$/m);
    });

    it("a CA file that is not PEM", async () => {
      const path = join(dir.path, "garbage.yaml");
      for (const name of ["ca.crt", "me.crt", "me.key"]) writeFileSync(join(dir.path, name), "not PEM\n");
      writeFileSync(
        path,
        [
          "clusters:",
          "- name: c",
          "  cluster: {server: 127.0.0.1:1, certificate-authority: ca.crt}",
          "users:",
          "- name: me",
          "  user: {client-certificate: me.crt, client-key: me.key}",
          "contexts:",
          "- name: me",
          "  context: {cluster: c, user: me}",
          "current-context: me",
          "",
        ].join("\n"),
      );
      expectUsageError(await jobctl(["--config", path, "list"]), /config .*garbage.yaml: clusters\[0\]\.cluster\.certificate-authority: not a PEM certificate/);
    });
  });

  it("--help exits 0 and documents the exit codes", async () => {
    const run = await jobctl(["--help"]);
    expect(run.code).to.equal(0);
    expect(run.stdout).to.match(/Exit codes:\n {2}0 {2}success\n {2}1 .*\n {2}2 .*\n {2}3 .*\n {2}4 .*\n {2}5 /);
  });

  it("every verb's help has examples", async () => {
    const verbs = ["run", "start", "stop", "status", "describe", "logs", "stream", "get", "list", "top", "info", "version", "login", "logout", "completion", "config"];
    const configVerbs = ["get-contexts", "current-context", "use-context", "set-context", "view"].map((verb) => ["config", verb]);
    for (const verb of [...verbs.map((v) => [v]), ...configVerbs]) {
      const run = await jobctl([...verb, "--help"]);
      expect(run.code, verb.join(" ")).to.equal(0);
      expect(run.stdout, verb.join(" ")).to.match(/\nExamples:\n {2}(source <\(|JOBCTL_CONFIG=.*)?jobctl /);
    }
  });

  it("--help documents jobctl run's exit codes", async () => {
    const run = await jobctl(["run", "--help"]);
    expect(run.stdout).to.match(/128\+N when a signal N ended it/).and.match(/250 when it was OOM-killed/).and.match(/251 when\s+detached/);
  });
});
