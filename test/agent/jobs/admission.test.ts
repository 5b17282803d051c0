// Admission of new jobs: the per-owner and the global running limits, counted
// from admission until the job is final.
import { expect } from "chai";
import { Admission } from "../../../agent/jobs/admission.js";
import { defaultOwnerShare } from "../../../agent/jobs/owner-share.js";

/** The error check() throws, or undefined if it admits. */
function refusal(admission: Admission, owner: string): (Error & { code?: string }) | undefined {
  try {
    admission.check(owner);
    return undefined;
  } catch (err) {
    return err as Error & { code?: string };
  }
}

describe("jobs/admission", () => {
  it("admits up to perOwner jobs of one owner, then refuses that owner (RESOURCE_EXHAUSTED, naming the setting) and no other", () => {
    const admission = new Admission({ global: 10, perOwner: 2 });
    for (const id of ["a1", "a2"]) {
      expect(refusal(admission, "alice")).to.equal(undefined);
      admission.add(id, "alice");
    }
    const refused = refusal(admission, "alice");
    expect(refused?.code).to.equal("RESOURCE_EXHAUSTED");
    expect(refused?.message).to.equal("too many running jobs for owner alice: 2 (per-owner limit 2, jobs.maxConcurrentJobsPerOwner)");
    expect(refusal(admission, "bob")).to.equal(undefined);
  });

  it("refuses everyone at the global limit, naming it", () => {
    const admission = new Admission({ global: 3, perOwner: 2 });
    admission.add("a1", "alice");
    admission.add("a2", "alice");
    admission.add("b1", "bob");
    expect(admission.running).to.equal(3);
    const refused = refusal(admission, "carol");
    expect(refused?.code).to.equal("RESOURCE_EXHAUSTED");
    expect(refused?.message).to.equal("too many running jobs on this agent: 3 (global limit 3, jobs.maxConcurrentJobs)");
  });

  it("names the owner's own limit when both are reached: the one that owner can act on", () => {
    const admission = new Admission({ global: 2, perOwner: 2 });
    admission.add("a1", "alice");
    admission.add("a2", "alice");
    expect(refusal(admission, "alice")?.message).to.match(/^too many running jobs for owner alice/);
    expect(refusal(admission, "bob")?.message).to.match(/^too many running jobs on this agent/);
  });

  it("a removed job frees its slot; removing an unknown id or adding one twice changes nothing", () => {
    const admission = new Admission({ global: 1, perOwner: 1 });
    admission.add("a1", "alice");
    admission.add("a1", "alice");
    expect(admission.running).to.equal(1);
    admission.remove("nope");
    expect(refusal(admission, "alice")).to.not.equal(undefined);
    admission.remove("a1");
    expect(admission.running).to.equal(0);
    expect(refusal(admission, "alice")).to.equal(undefined);
    admission.remove("a1");
    expect(admission.running).to.equal(0);
  });

  it("add() counts past a limit (jobs found running by recovery, under a limit lowered since); check() then refuses", () => {
    const admission = new Admission({ global: 1, perOwner: 1 });
    admission.add("a1", "alice");
    admission.add("a2", "alice");
    expect(admission.running).to.equal(2);
    expect(refusal(admission, "alice")?.message).to.include("2 (per-owner limit 1");
    admission.remove("a1");
    expect(refusal(admission, "alice"), "still at the limit").to.not.equal(undefined);
  });

  it("the default per-owner share is half the global limit, rounded up (jobs/owner-share)", () => {
    expect([1, 2, 3, 10, 11].map(defaultOwnerShare)).to.deep.equal([1, 1, 2, 5, 6]);
  });
});
