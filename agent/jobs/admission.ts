// Admission of new jobs: at most `perOwner` running jobs per owner and
// `global` in all. Jobs are counted from the moment a start is admitted until
// they are final, so concurrent starts cannot overshoot either limit.
import { KeyCounts } from "../../common/key-counts.js";
import { ResourceExhaustedError } from "../errors.js";

export interface AdmissionLimits {
  global: number;
  perOwner: number;
}

export class Admission {
  /** Job id -> owner, for every job not yet final. */
  private readonly owners = new Map<string, string>();
  private readonly perOwner = new KeyCounts<string>();

  constructor(private readonly limits: AdmissionLimits) {}

  get running(): number {
    return this.owners.size;
  }

  /**
   * Throws RESOURCE_EXHAUSTED naming the limit reached. The owner's own limit
   * is named first: when both are reached it is the one that owner can act on.
   */
  check(owner: string): void {
    const own = this.perOwner.get(owner);
    if (own >= this.limits.perOwner) {
      throw new ResourceExhaustedError(`too many running jobs for owner ${owner}: ${own} (per-owner limit ${this.limits.perOwner}, jobs.maxConcurrentJobsPerOwner)`);
    }
    if (this.owners.size >= this.limits.global) {
      throw new ResourceExhaustedError(`too many running jobs on this agent: ${this.owners.size} (global limit ${this.limits.global}, jobs.maxConcurrentJobs)`);
    }
  }

  /** Counts a job as running (admitted, or found running by recovery: then it may exceed a limit lowered since). */
  add(id: string, owner: string): void {
    if (this.owners.has(id)) return;
    this.owners.set(id, owner);
    this.perOwner.increment(owner);
  }

  remove(id: string): void {
    const owner = this.owners.get(id);
    if (owner === undefined) return;
    this.owners.delete(id);
    this.perOwner.decrement(owner);
  }
}
