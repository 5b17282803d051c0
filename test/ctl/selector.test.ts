import { expect } from "chai";
import { InvalidArgumentError } from "commander";
import type { QueryStatusResponse__Output } from "../../proto/generated/workerservice/QueryStatusResponse.js";
import { matchesSelector, parseSelector } from "../../ctl/selector.js";

const job = (JobStatus: string, owner: string, reason = "") => ({ JobStatus, owner, reason }) as QueryStatusResponse__Output;
const JOBS = [job("RUNNING", "alice"), job("EXITED", "alice", "Error"), job("RUNNING", "bob"), job("STOPPED", "bob", "Stopped")];
const pick = (selector: string) => JOBS.filter((j) => matchesSelector(j, parseSelector(selector))).map((j) => `${j.JobStatus}/${j.owner}`);

describe("jobctl -l selectors", () => {
  it("KEY=VALUE, all of them (comma = and)", () => {
    expect(pick("status=RUNNING,owner=alice")).to.deep.equal(["RUNNING/alice"]);
    expect(pick("owner==bob")).to.deep.equal(["RUNNING/bob", "STOPPED/bob"]);
  });
  it("status and reason compare case-insensitively, owner exactly", () => {
    expect(pick("status=running")).to.deep.equal(["RUNNING/alice", "RUNNING/bob"]);
    expect(pick("reason=error")).to.deep.equal(["EXITED/alice"]);
    expect(pick("owner=ALICE")).to.deep.equal([]);
  });
  it("!= and set forms; an empty value matches an empty field", () => {
    expect(pick("status!=RUNNING")).to.deep.equal(["EXITED/alice", "STOPPED/bob"]);
    expect(pick("reason in (Error, Stopped),owner notin (bob)")).to.deep.equal(["EXITED/alice"]);
    expect(pick("reason=")).to.deep.equal(["RUNNING/alice", "RUNNING/bob"]);
  });
  for (const bad of ["", "status", "pid=1", "status=(x)", "owner in bob", "status=a b"]) {
    it(`rejects ${JSON.stringify(bad)}`, () => expect(() => parseSelector(bad)).to.throw(InvalidArgumentError));
  }
});
