// memory controller: memory.max with swap off, the whole job OOM-killed as one
// (memory.oom.group), and usage from memory.current/peak/stat/events.
import { formatLimit, parseKeyValues, type CgroupFs } from "../cgroupfs.js";

export interface MemoryStat {
  currentBytes: number;
  /** current minus inactive file cache: what cAdvisor calls the working set. */
  workingSetBytes: number;
  /** memory.peak; undefined on kernels without it (before 5.19). */
  peakBytes: number | undefined;
  /** memory.events oom_kill: processes killed by the OOM killer in this cgroup. */
  oomKills: number;
  /** memory.events oom: times the limit was hit and reclaim failed. */
  ooms: number;
}

export async function setMemory(fs: CgroupFs, cgroup: string, maxBytes: number, options: { swap: boolean; oomGroup: boolean }): Promise<void> {
  await fs.write(cgroup, "memory.max", formatLimit(maxBytes));
  // Without this a memory-limited job would page to swap instead of being held to its limit.
  if (!options.swap && (await fs.exists(cgroup, "memory.swap.max"))) await fs.write(cgroup, "memory.swap.max", "0");
  await fs.write(cgroup, "memory.oom.group", options.oomGroup ? "1" : "0");
}

export async function statMemory(fs: CgroupFs, cgroup: string): Promise<MemoryStat> {
  const [current, peak, stat, events] = await Promise.all([
    fs.read(cgroup, "memory.current"),
    fs.readOptional(cgroup, "memory.peak"),
    fs.read(cgroup, "memory.stat"),
    fs.read(cgroup, "memory.events"),
  ]);
  const currentBytes = Number(current.trim());
  const inactiveFile = parseKeyValues(stat).inactive_file ?? 0;
  const e = parseKeyValues(events);
  return {
    currentBytes,
    workingSetBytes: Math.max(0, currentBytes - inactiveFile),
    peakBytes: peak === undefined ? undefined : Number(peak.trim()),
    oomKills: e.oom_kill ?? 0,
    ooms: e.oom ?? 0,
  };
}
