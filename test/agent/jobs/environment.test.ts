// A job's environment: minimal, documented, nothing of the agent's own.
import { expect } from "chai";
import { JOB_PATH, jobEnvironment } from "../../../agent/jobs/environment.js";

describe("jobs/environment", () => {
  it("is PATH, HOME (the job's working directory), LANG and the job's id, and nothing else", () => {
    expect(jobEnvironment("0b5c9e4e-3f6a-4b1e-9c2d-7a8b9c0d1e2f", "/state/jobs/x/work")).to.deep.equal({
      PATH: JOB_PATH,
      HOME: "/state/jobs/x/work",
      LANG: "C.UTF-8",
      JOBWORKER_JOB_ID: "0b5c9e4e-3f6a-4b1e-9c2d-7a8b9c0d1e2f",
    });
  });

  it("a run of a job spec also has the spec's name and run number", () => {
    expect(jobEnvironment("id", "/w", { name: "backup", run: 3 })).to.include({ JOBWORKER_SPEC: "backup", JOBWORKER_SPEC_RUN: "3" });
  });

  it("none of the agent's own environment leaks in", () => {
    process.env.JOBWORKER_TEST_SECRET = "agent-only";
    try {
      const env = jobEnvironment("id", "/w");
      expect(Object.values(env)).to.not.include("agent-only");
      expect(Object.keys(env)).to.not.include("JOBWORKER_TEST_SECRET");
    } finally {
      delete process.env.JOBWORKER_TEST_SECRET;
    }
  });
});
