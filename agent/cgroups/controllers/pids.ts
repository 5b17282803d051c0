// pids controller: pids.max, pids.current and pids.peak.
import { formatLimit, type CgroupFs } from "../cgroupfs.js";

export interface PidsStat {
  current: number;
  /** pids.peak; undefined on kernels without it. */
  peak: number | undefined;
}

export async function setPids(fs: CgroupFs, cgroup: string, max: number): Promise<void> {
  await fs.write(cgroup, "pids.max", formatLimit(max));
}

export async function statPids(fs: CgroupFs, cgroup: string): Promise<PidsStat> {
  const [current, peak] = await Promise.all([fs.read(cgroup, "pids.current"), fs.readOptional(cgroup, "pids.peak")]);
  return { current: Number(current.trim()), peak: peak === undefined ? undefined : Number(peak.trim()) };
}
