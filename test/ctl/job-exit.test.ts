// jobctl run's exit code from the job's final status.
import { expect } from "chai";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import { jobExit } from "../../ctl/job-exit.js";

const status = (fields: Partial<QueryStatusResponse__Output>) =>
  ({ id: "ID", JobStatus: "EXITED", exitCode: -1, signal: "", reason: "", message: "", ...fields }) as QueryStatusResponse__Output;

describe("jobctl run exit codes", () => {
  it("the job's own exit code", () => {
    expect(jobExit(status({ exitCode: 0, reason: "Completed" }))).to.deep.equal({ code: 0 });
    expect(jobExit(status({ exitCode: 3, reason: "Error" }))).to.deep.equal({ code: 3 });
  });
  it("128 + the signal's number", () => {
    expect(jobExit(status({ signal: "SIGTERM", reason: "Error" })).code).to.equal(143);
    expect(jobExit(status({ JobStatus: "STOPPED", signal: "SIGKILL", reason: "Stopped" })).code).to.equal(137);
    expect(jobExit(status({ signal: "SIGINT" })).code).to.equal(130);
  });
  it("250 for an OOM kill, not SIGKILL's 137", () => {
    expect(jobExit(status({ signal: "SIGKILL", reason: "OOMKilled" }))).to.deep.equal({ code: 250, note: "job ID was OOM-killed (memory limit)" });
  });
  it("127 when exec found no such command (startFailure exec/ENOENT), 126 otherwise, whatever the message says", () => {
    const failed = (step: string, errnoName: string, message: string) => status({ JobStatus: "FAILED", message, startFailure: { step, errnoName } });
    expect(jobExit(failed("exec", "ENOENT", "exec nope: No such file or directory"))).to.deep.equal({
      code: 127,
      note: "job ID failed to start: exec nope: No such file or directory",
    });
    expect(jobExit(failed("exec", "EACCES", "exec /etc/passwd: Permission denied")).code).to.equal(126);
    expect(jobExit(failed("exec", "ENOEXEC", "exec ./x: Exec format error")).code).to.equal(126);
    // A missing working directory is ENOENT too, but the command was never looked for.
    expect(jobExit(failed("chdir", "ENOENT", "chdir /x: No such file or directory")).code).to.equal(126);
    // The message is for people: a command named "not found" that is not executable is still 126.
    expect(jobExit(failed("exec", "EACCES", "exec ./not found: Permission denied")).code).to.equal(126);
  });
  it("without startFailure (an agent older than the field), 127 only for exec's own not-found message", () => {
    expect(jobExit(status({ JobStatus: "FAILED", message: "exec nope: No such file or directory" })).code).to.equal(127);
    expect(jobExit(status({ JobStatus: "FAILED", message: "chdir /x: No such file or directory" })).code).to.equal(126);
    expect(jobExit(status({ JobStatus: "FAILED", message: "exec /etc/passwd: Permission denied" })).code).to.equal(126);
  });
  it("a signal name this host does not know still ends above 127, with a note", () => {
    expect(jobExit(status({ signal: "SIGWHAT" }))).to.deep.include({ code: 128 });
  });
});
