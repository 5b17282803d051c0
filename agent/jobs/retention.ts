// Which finished jobs to forget: those that ended longer ago than the
// retention age; each owner's oldest beyond the per-owner count; then, while
// more than the global count are left, the oldest of whichever owner keeps the
// most. So an owner at or under everyone else's count never loses a record to
// another owner's load: the one crowding the pool pays for it, and the pool
// converges on equal shares. Ties go to the owner whose oldest record is the
// oldest, so the result never depends on iteration order.
import { KeyCounts } from "../../common/key-counts.js";
import { isFinal } from "./lifecycle.js";
import { defaultOwnerShare } from "./owner-share.js";
import type { JobRecord } from "./record.js";
import type { OwnedJobs } from "./owned-jobs.js";

export interface Retention {
  maxFinishedJobs: number;
  /** Default: half of maxFinishedJobs, rounded up (owner-share.ts). */
  maxFinishedJobsPerOwner?: number;
  maxAgeMs: number;
}

export function expiredJobs(records: Iterable<JobRecord>, retention: Retention, now = Date.now()): string[] {
  const cutoff = new Date(now - retention.maxAgeMs).toISOString();
  const perOwner = ownerShare(retention);
  const finished = [...records].filter((r) => isFinal(r.state));
  // When nothing is over a limit (the periodic pass, mostly), one pass and no sort.
  // Measured (npm run bench -- --only fleet, 1,000 jobs stopped at once, when this ran at
  // every job's end): the sort for every end was 3.2 s of the agent's 10.7 s busy time.
  if (!anyExpired(finished, retention.maxFinishedJobs, perOwner, cutoff)) return [];
  const expired: string[] = [];
  const kept = new Map<string, JobRecord[]>(); // owner -> finished records kept so far, oldest first
  for (const record of oldestFirst(finished)) {
    if ((record.endTime ?? "") < cutoff) expired.push(record.id);
    else if (kept.has(record.owner)) kept.get(record.owner)!.push(record);
    else kept.set(record.owner, [record]);
  }
  let total = 0;
  for (const own of kept.values()) {
    while (own.length > perOwner) expired.push(own.shift()!.id);
    total += own.length;
  }
  for (; total > retention.maxFinishedJobs; total--) expired.push(mostKept(kept).shift()!.id);
  return expired;
}

/**
 * Whether the finished jobs kept are over a count: the pool's, or this owner's share.
 * A job's end can only add to these (an age limit passes with time: the periodic
 * pass's), so at each end this is all there is to check, without a pass over the jobs.
 */
export function overCount(finished: OwnedJobs, owner: string, retention: Retention): boolean {
  return finished.size > retention.maxFinishedJobs || finished.of(owner) > ownerShare(retention);
}

/** Finished jobs one owner may keep. */
function ownerShare(retention: Retention): number {
  return retention.maxFinishedJobsPerOwner ?? defaultOwnerShare(retention.maxFinishedJobs);
}

/** True if some record is past the age, or some owner or the whole pool is over its count. */
function anyExpired(finished: JobRecord[], maxFinishedJobs: number, perOwner: number, cutoff: string): boolean {
  if (finished.length > maxFinishedJobs) return true;
  const counts = new KeyCounts<string>();
  for (const record of finished) {
    if ((record.endTime ?? "") < cutoff) return true;
    counts.increment(record.owner);
    if (counts.get(record.owner) > perOwner) return true;
  }
  return false;
}

/** By end time, then id: a total order, whatever order the records came in (each key made once, not per comparison). */
function oldestFirst(records: JobRecord[]): JobRecord[] {
  const keyed = records.map((record) => ({ record, key: endOf(record) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map(({ record }) => record);
}

/** The records of the owner keeping the most; of those tied, the one whose oldest record is the oldest. */
function mostKept(kept: Map<string, JobRecord[]>): JobRecord[] {
  let most: JobRecord[] = [];
  for (const own of kept.values()) {
    if (own.length > most.length || (own.length === most.length && own.length > 0 && endOf(own[0]) < endOf(most[0]))) most = own;
  }
  return most;
}

/** End time, then id, as one sortable string (ISO times of one format sort as text). */
function endOf(record: JobRecord): string {
  return `${record.endTime ?? ""} ${record.id}`;
}
