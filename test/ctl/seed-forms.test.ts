// The seeds' command lines rewritten to jobctl's: seed 000's `start <command>
// -args ...`, seed 003's `-c <command>`. (Against a real agent: test/e2e/ctl/seed-forms.test.ts.)
import { expect } from "chai";
import { rewriteSeedForms } from "../../ctl/seed-forms.js";

describe("the seeds' jobctl forms", () => {
  describe("rewriting (unit)", () => {
    const rewrite = (...args: string[]) => rewriteSeedForms(["node", "jobctl", ...args]).slice(2);
    it("seed 000: start <command> -args a b -> start -- <command> a b, options before the command kept", () => {
      expect(rewrite("start", "echo", "-args", "hello", "-n")).to.deep.equal(["start", "--", "echo", "hello", "-n"]);
      expect(rewrite("--context", "alice", "start", "--grace", "5s", "sleep", "-args", "9")).to.deep.equal(["--context", "alice", "start", "--grace", "5s", "--", "sleep", "9"]);
    });
    it("seed 003: start -t JWT -c <command> -args a b, with -c anywhere before -args, and without -args", () => {
      expect(rewrite("start", "-t", "X.Y.Z", "-c", "echo", "-args", "a", "b")).to.deep.equal(["start", "-t", "X.Y.Z", "--", "echo", "a", "b"]);
      expect(rewrite("-t", "X.Y.Z", "start", "-c", "uptime")).to.deep.equal(["-t", "X.Y.Z", "start", "--", "uptime"]);
    });
    it("leaves jobctl's own forms and other verbs alone", () => {
      expect(rewrite("start", "--", "echo", "-args")).to.deep.equal(["start", "--", "echo", "-args"]);
      expect(rewrite("start", "echo", "hi")).to.deep.equal(["start", "echo", "hi"]);
      expect(rewrite("stop", "-j", "x", "-args")).to.deep.equal(["stop", "-j", "x", "-args"]);
    });
  });
});
