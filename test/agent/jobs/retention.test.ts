// Which finished jobs the manager forgets at each job's end (agent/jobs/retention.ts).
import { expect } from "chai";
import { expiredJobs, overCount, type Retention } from "../../../agent/jobs/retention.js";
import { OwnedJobs } from "../../../agent/jobs/owned-jobs.js";
import type { JobRecord } from "../../../agent/jobs/record.js";

const NOW = Date.parse("2026-12-02T12:00:00.000Z");
const HOUR = 3_600_000;

/** A record that ended `hoursAgo` before NOW (or one still running, with hoursAgo undefined). */
function job(id: string, owner: string, hoursAgo?: number): JobRecord {
  const base = { id, owner, command: "true", args: [], exitCode: 0, signal: null, startTime: new Date(NOW - 100 * HOUR).toISOString(), gracePeriodMs: 1000, outputBytes: 0, outputDroppedBytes: 0 };
  if (hoursAgo === undefined) return { ...base, state: "RUNNING", exitCode: null } as unknown as JobRecord;
  return { ...base, state: "EXITED", endTime: new Date(NOW - hoursAgo * HOUR).toISOString() } as unknown as JobRecord;
}

const retention = (maxFinishedJobs: number, maxAgeHours: number, maxFinishedJobsPerOwner?: number): Retention => ({ maxFinishedJobs, maxFinishedJobsPerOwner, maxAgeMs: maxAgeHours * HOUR });

describe("retention (expiredJobs)", () => {
  it("forgets nothing while every owner and the pool are within their counts and nothing is too old", () => {
    const records = [job("a1", "alice", 1), job("a2", "alice", 2), job("b1", "bob", 3), job("r", "alice")];
    expect(expiredJobs(records, retention(4, 24, 2), NOW)).to.deep.equal([]);
  });

  it("forgets every job that ended before the retention age, and never a running one however old", () => {
    const records = [job("old", "alice", 30), job("new", "alice", 1), job("running", "alice")];
    expect(expiredJobs(records, retention(10, 24), NOW)).to.deep.equal(["old"]);
  });

  it("over an owner's count, forgets that owner's oldest, not another owner's", () => {
    const records = [job("a-newest", "alice", 1), job("a-oldest", "alice", 5), job("a-mid", "alice", 3), job("b-old", "bob", 10)];
    expect(expiredJobs(records, retention(10, 24, 2), NOW)).to.deep.equal(["a-oldest"]);
  });

  it("over the pool's count, forgets the oldest of the owner keeping the most", () => {
    const records = [job("a1", "alice", 1), job("a2", "alice", 2), job("a3", "alice", 3), job("b-oldest", "bob", 20)];
    expect(expiredJobs(records, retention(3, 24, 3), NOW)).to.deep.equal(["a3"]);
  });

  it("decides the same whatever order the records come in (ties in end time go by id)", () => {
    const records = [job("x2", "alice", 2), job("x1", "alice", 2), job("y", "alice", 1), job("z", "alice", 3)];
    const expected = expiredJobs(records, retention(2, 24, 2), NOW);
    expect(expected).to.deep.equal(["z", "x1"]);
    expect(expiredJobs([...records].reverse(), retention(2, 24, 2), NOW)).to.deep.equal(expected);
  });

  it("overCount: a job's end needs a pass only once the pool or that owner's share is over its count", () => {
    const finished = new OwnedJobs();
    const limits = retention(3, 24, 2);
    finished.add("a1", "alice");
    finished.add("a2", "alice");
    finished.add("a2", "alice"); // the same job twice counts once
    expect(overCount(finished, "alice", limits), "alice at her share").to.equal(false);
    finished.add("a3", "alice");
    expect(overCount(finished, "alice", limits), "alice over her share").to.equal(true);
    expect(overCount(finished, "bob", limits), "bob is not, nor the pool").to.equal(false);
    finished.add("b1", "bob");
    expect(overCount(finished, "bob", limits), "the pool is over").to.equal(true);
    finished.remove("a3");
    finished.remove("a3");
    expect(overCount(finished, "alice", limits)).to.equal(false);
    expect(overCount(finished, "bob", retention(3, 24)), "the default share is half the pool, rounded up").to.equal(false);
  });
});
