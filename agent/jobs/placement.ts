// Where a job runs: in its own cgroup v2 leaf with its limits when the agent
// has a delegated cgroup subtree, or only in its own process group when not.
// The manager talks to a PlacedJob and does not care which.
import type { Logger } from "pino";
import { wholeDiskFor } from "../cgroups/block-device.js";
import type { CgroupSetup } from "../cgroups/delegation.js";
import { hasIoLimits } from "../cgroups/controllers/io.js";
import { JobCgroup, type CgroupStats } from "../cgroups/job-cgroup.js";
import type { CgroupLimits } from "../cgroups/limits.js";
import { FailedPreconditionError } from "../errors.js";
import type { JobUsage, ResourceLimits } from "./record.js";

export interface PlacementOptions {
  cgroups: CgroupSetup;
  /** Without cgroup v2, run jobs that ask for limits anyway (unenforced) instead of refusing them. */
  bestEffortLimits: boolean;
  /** Path whose disk io.max applies to; default: the job's working directory. */
  ioDevicePath?: string;
  swap: boolean;
  oomGroup: boolean;
  logger?: Logger;
}

export interface PlacedJob {
  /** The job's cgroup leaf (absolute path), which the job joins before exec, if any. */
  cgroupDir?: string;
  /** Set when limits were asked for but cannot be enforced here (best effort). */
  warning?: string;
  /** Signals every process of the job that the process group cannot reach. */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** SIGKILL to everything in the job. */
  kill(): Promise<void>;
  /** Live usage from the job's cgroup; undefined without one. */
  stats(): Promise<CgroupStats | undefined>;
  /** After the command ended: kills what is left, waits until nothing is, measures, cleans up. */
  finish(): Promise<{ usage?: JobUsage; oomKilled: boolean }>;
}

/** A job with no cgroup: nothing to signal, measure or clean up beyond its process group. */
export const NOTHING: PlacedJob = {
  signal: async () => {},
  kill: async () => {},
  stats: async () => undefined,
  finish: async () => ({ oomKilled: false }),
};

export class Placement {
  constructor(private readonly options: PlacementOptions) {}

  get mode(): string {
    return this.options.cgroups.mode;
  }

  /** Why there is no resource control, if there is none. */
  get unavailableReason(): string | undefined {
    return this.options.cgroups.mode === "unavailable" ? this.options.cgroups.reason : undefined;
  }

  /** cgroup.procs of the leaf job monitors run in, if there is cgroup v2. */
  get monitorProcs(): string | undefined {
    const cgroups = this.options.cgroups;
    return cgroups.mode === "v2" ? cgroups.fs.path(cgroups.monitors, "cgroup.procs") : undefined;
  }

  async place(id: string, limits: ResourceLimits, workDir: string): Promise<PlacedJob> {
    const cgroups = this.options.cgroups;
    const wantsLimits = Object.values(limits).some((v) => v !== 0);
    if (cgroups.mode === "unavailable") {
      if (!wantsLimits) return NOTHING;
      const message = `resource limits cannot be enforced: ${cgroups.reason}`;
      if (!this.options.bestEffortLimits) throw new FailedPreconditionError(message);
      return { ...NOTHING, warning: `${message} (running without them: limits are best-effort)` };
    }
    const leafLimits = cgroupLimits(limits);
    const ioDevice = hasIoLimits(leafLimits.io) ? await wholeDiskFor(this.options.ioDevicePath ?? workDir) : undefined;
    const cgroup = await JobCgroup.create(cgroups.fs, cgroups.jobsParent, id, leafLimits, { ioDevice, swap: this.options.swap, oomGroup: this.options.oomGroup });
    return cgroupJob(cgroup, this.options.logger);
  }

  /** The placement of a job started by an earlier agent: its leaf if it still has one. */
  async existing(id: string): Promise<PlacedJob> {
    const cgroups = this.options.cgroups;
    if (cgroups.mode === "unavailable") return NOTHING;
    const cgroup = JobCgroup.existing(cgroups.fs, cgroups.jobsParent, id);
    return (await cgroups.fs.exists(cgroup.path)) ? cgroupJob(cgroup, this.options.logger) : NOTHING;
  }
}

/** A job's limits in the cgroup library's terms: the one place a job record's field names meet cgroup files. */
export function cgroupLimits(limits: ResourceLimits): CgroupLimits {
  return {
    cpuCores: limits.cpuCores,
    memoryBytes: limits.memoryBytes,
    pids: limits.pids,
    io: { readBps: limits.ioReadBps, writeBps: limits.ioWriteBps, readIops: limits.ioReadIops, writeIops: limits.ioWriteIops },
  };
}

function cgroupJob(cgroup: JobCgroup, logger?: Logger): PlacedJob {
  return {
    cgroupDir: cgroup.dir,
    signal: (signal) => cgroup.signalAll(signal),
    kill: () => cgroup.kill(),
    stats: () => cgroup.stats(),
    async finish() {
      await cgroup.kill();
      if (!(await cgroup.waitEmpty(5000))) logger?.warn({ cgroup: cgroup.path }, "job cgroup still populated 5 s after cgroup.kill");
      const stats = await cgroup.stats();
      await cgroup.remove().catch((err) => logger?.warn({ err, cgroup: cgroup.path }, "removing job cgroup failed"));
      const usage: JobUsage = {
        cpuSeconds: stats.cpu.usageSeconds,
        cpuUserSeconds: stats.cpu.userSeconds,
        cpuSystemSeconds: stats.cpu.systemSeconds,
        memoryPeakBytes: stats.memory.peakBytes ?? 0,
        ioReadBytes: stats.io.reduce((sum, d) => sum + d.readBytes, 0),
        ioWriteBytes: stats.io.reduce((sum, d) => sum + d.writeBytes, 0),
        oomKills: stats.memory.oomKills,
      };
      // OOM is decided by the kernel's own count, never guessed from exit code 137.
      return { usage, oomKilled: stats.memory.oomKills > 0 };
    },
  };
}
