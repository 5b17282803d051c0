// A set of job ids with each one's owner, counted per owner: the running jobs
// (admission.ts) and the finished ones kept (retention.ts). Adding an id twice
// or removing one it does not hold changes nothing.
import { KeyCounts } from "../../common/key-counts.js";

export class OwnedJobs {
  private readonly owners = new Map<string, string>();
  private readonly perOwner = new KeyCounts<string>();

  get size(): number {
    return this.owners.size;
  }

  of(owner: string): number {
    return this.perOwner.get(owner);
  }

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
