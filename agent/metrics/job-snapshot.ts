// What one scrape sees of the jobs: every record the manager keeps, and the
// live cgroup stats of the running ones, read from their cgroup files right
// then. There is no polling loop: an agent nobody scrapes reads nothing.
//
// Cost, measured (test/agent/metrics/agent-metrics.test.ts): 100 running jobs, ~10
// small files each, take ~42 ms of reads (libuv's thread pool) and ~55 ms per
// scrape in all (1985 samples, 210 KiB of text); 10 jobs ~7 ms. In the test VM
// (TCG, ~10x slower) Prometheus measures ~50 ms per scrape with one job.
import type { CgroupStats } from "../cgroups/job-cgroup.js";
import type { JobManager } from "../jobs/manager.js";
import { isFinal } from "../jobs/lifecycle.js";
import type { JobRecord } from "../jobs/record.js";

export interface JobSample {
  record: JobRecord;
  /** Live stats of a running job with a cgroup; undefined otherwise (no cgroup v2, ended, or ending right now). */
  stats?: CgroupStats;
}

export class JobSnapshot {
  private pending?: Promise<JobSample[]>;

  constructor(private readonly jobs: JobManager) {}

  /**
   * One read shared by every metric of a scrape: prom-client's registry calls
   * each metric's collect() synchronously before awaiting any of them, so they
   * all join the same pending read, which is dropped once it settles (the next
   * scrape reads afresh).
   */
  get(): Promise<JobSample[]> {
    if (!this.pending) {
      const pending = this.read();
      const clear = () => {
        if (this.pending === pending) this.pending = undefined;
      };
      pending.then(clear, clear);
      this.pending = pending;
    }
    return this.pending;
  }

  private async read(): Promise<JobSample[]> {
    const records = this.jobs.list();
    return Promise.all(
      records.map(async (record) => {
        if (isFinal(record.state)) return { record };
        // The job may be garbage-collected or end (its cgroup removed) meanwhile: then no live stats.
        const stats = await this.jobs.liveStats(record.id).catch(() => undefined);
        return { record, stats };
      }),
    );
  }
}
