// The limits a cgroup leaf is created with, in the cgroup library's own terms
// (as opencontainers/cgroups owns cgroups.Resources): callers convert their
// own records to this once, and nothing here knows what a job is.
import type { IoLimits } from "./controllers/io.js";

/** 0 in any field leaves that resource unlimited. */
export interface CgroupLimits {
  /** cpu.max, in cores (0.5 is half of one CPU's time). */
  cpuCores: number;
  /** memory.max. */
  memoryBytes: number;
  /** pids.max. */
  pids: number;
  /** io.max on the leaf's one device. */
  io: IoLimits;
}
