// Admission of new jobs: at most `perOwner` running jobs per owner and
// `global` in all. Jobs are counted from the moment a start is admitted until
// they are final, so concurrent starts cannot overshoot either limit.
import { ResourceExhaustedError } from "../errors.js";
import { OwnedJobs } from "./owned-jobs.js";

export interface AdmissionLimits {
  global: number;
  perOwner: number;
}

export class Admission {
  /** Every job not yet final, with its owner. */
  private readonly jobs = new OwnedJobs();

  constructor(private readonly limits: AdmissionLimits) {}

  get running(): number {
    return this.jobs.size;
  }

  /**
   * Throws RESOURCE_EXHAUSTED naming the limit reached. The owner's own limit
   * is named first: when both are reached it is the one that owner can act on.
   */
  check(owner: string): void {
    const own = this.jobs.of(owner);
    if (own >= this.limits.perOwner) {
      throw new ResourceExhaustedError(`too many running jobs for owner ${owner}: ${own} (per-owner limit ${this.limits.perOwner}, jobs.maxConcurrentJobsPerOwner)`);
    }
    if (this.jobs.size >= this.limits.global) {
      throw new ResourceExhaustedError(`too many running jobs on this agent: ${this.jobs.size} (global limit ${this.limits.global}, jobs.maxConcurrentJobs)`);
    }
  }

  /** Counts a job as running (admitted, or found running by recovery: then it may exceed a limit lowered since). */
  add(id: string, owner: string): void {
    this.jobs.add(id, owner);
  }

  remove(id: string): void {
    this.jobs.remove(id);
  }
}
