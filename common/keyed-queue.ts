// Writes to one key land in the order they were asked for; writes to
// different keys do not wait for each other. Used for the agent's records
// (a job's job.json, a spec's state file), each replaced whole.
export class KeyedQueue {
  private readonly pending = new Map<string, Promise<void>>();

  /**
   * Runs write after every earlier one for key has settled. A failed earlier
   * write does not stop this one, and the promise kept for ordering never
   * carries a rejection (the caller handles its own; an unhandled copy would
   * crash the process).
   */
  run(key: string, write: () => Promise<void>): Promise<void> {
    const next = (this.pending.get(key) ?? Promise.resolve()).catch(() => {}).then(write);
    this.pending.set(key, next);
    const forget = () => {
      if (this.pending.get(key) === next) this.pending.delete(key);
    };
    next.then(forget, forget);
    return next;
  }

  /** The last write asked for key, if one is still under way. */
  last(key: string): Promise<void> | undefined {
    return this.pending.get(key);
  }

  /** Resolves once every write asked for so far has landed (or failed). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending.values()]);
  }
}
