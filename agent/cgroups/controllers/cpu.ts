// cpu controller: cpu.max bandwidth and cpu.stat usage.
import { parseKeyValues, type CgroupFs } from "../cgroupfs.js";

/** CFS period: the kernel's default, 100 ms. 0.5 cores = "50000 100000". */
export const CPU_PERIOD_USEC = 100_000;

export interface CpuStat {
  usageSeconds: number;
  userSeconds: number;
  systemSeconds: number;
  periods: number;
  throttledPeriods: number;
  throttledSeconds: number;
}

export async function setCpu(fs: CgroupFs, cgroup: string, cores: number): Promise<void> {
  const quota = cores > 0 ? String(Math.max(1000, Math.round(cores * CPU_PERIOD_USEC))) : "max";
  await fs.write(cgroup, "cpu.max", `${quota} ${CPU_PERIOD_USEC}`);
}

export async function statCpu(fs: CgroupFs, cgroup: string): Promise<CpuStat> {
  const s = parseKeyValues(await fs.read(cgroup, "cpu.stat"));
  return {
    usageSeconds: (s.usage_usec ?? 0) / 1e6,
    userSeconds: (s.user_usec ?? 0) / 1e6,
    systemSeconds: (s.system_usec ?? 0) / 1e6,
    periods: s.nr_periods ?? 0,
    throttledPeriods: s.nr_throttled ?? 0,
    throttledSeconds: (s.throttled_usec ?? 0) / 1e6,
  };
}
