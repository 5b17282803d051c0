// Which finished jobs to forget: the oldest beyond the retention count, and
// those that ended longer ago than the retention age.
import { isFinal } from "./lifecycle.js";
import type { JobRecord } from "./record.js";

export interface Retention {
  maxFinishedJobs: number;
  maxAgeMs: number;
}

export function expiredJobs(records: Iterable<JobRecord>, retention: Retention, now = Date.now()): string[] {
  const finished = [...records].filter((r) => isFinal(r.state)).sort((a, b) => (a.endTime ?? "").localeCompare(b.endTime ?? ""));
  const cutoff = new Date(now - retention.maxAgeMs).toISOString();
  return finished
    .filter((r, index) => finished.length - index > retention.maxFinishedJobs || (r.endTime ?? "") < cutoff)
    .map((r) => r.id);
}
