// CPU cores used by a job: the change of its cgroup's cumulative CPU seconds
// over wall time, since the previous Top call, or over a short sample when
// there is no recent one. No background polling.
const SAMPLE_MS = 250;
const STALE_MS = 60_000;

interface Sample {
  cpuSeconds: number;
  at: number;
}

export class CpuRate {
  private last = new Map<string, Sample>();

  async rate(id: string, cpuSeconds: number, resample: () => Promise<number | undefined>): Promise<number> {
    const now = Date.now();
    let previous = this.last.get(id);
    let current: Sample = { cpuSeconds, at: now };
    if (!previous || now - previous.at > STALE_MS || now - previous.at < 50) {
      previous = current;
      await new Promise((r) => setTimeout(r, SAMPLE_MS));
      const again = await resample();
      if (again === undefined) return 0;
      current = { cpuSeconds: again, at: Date.now() };
    }
    this.last.set(id, current);
    const seconds = (current.at - previous.at) / 1000;
    return seconds > 0 ? Math.max(0, (current.cpuSeconds - previous.cpuSeconds) / seconds) : 0;
  }

  /** Drops samples of jobs no longer running. */
  forgetExcept(ids: Set<string>): void {
    for (const id of this.last.keys()) if (!ids.has(id)) this.last.delete(id);
  }
}
