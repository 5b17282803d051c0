// One job's cgroup leaf: created with the job's limits before the job runs,
// signalled and killed as a whole, measured, and removed once empty.
import { watch } from "node:fs";
import { parseKeyValues, type CgroupFs } from "./cgroupfs.js";
import { setCpu, statCpu, type CpuStat } from "./controllers/cpu.js";
import { hasIoLimits, setIo, statIo, type IoDeviceStat } from "./controllers/io.js";
import { setMemory, statMemory, type MemoryStat } from "./controllers/memory.js";
import { setPids, statPids, type PidsStat } from "./controllers/pids.js";
import type { CgroupLimits } from "./limits.js";

export interface CgroupStats {
  cpu: CpuStat;
  memory: MemoryStat;
  io: IoDeviceStat[];
  pids: PidsStat;
}

export interface LeafOptions {
  /** Whole-disk "MAJ:MIN" for io.max; required when io limits are set. */
  ioDevice?: string;
  swap: boolean;
  oomGroup: boolean;
}

export class JobCgroup {
  private constructor(
    private readonly fs: CgroupFs,
    /** Relative to the cgroup mount. */
    readonly path: string,
  ) {}

  static async create(fs: CgroupFs, parent: string, id: string, limits: CgroupLimits, options: LeafOptions): Promise<JobCgroup> {
    const cgroup = new JobCgroup(fs, `${parent}/${id}`);
    await fs.mkdir(cgroup.path);
    try {
      await setCpu(fs, cgroup.path, limits.cpuCores);
      await setMemory(fs, cgroup.path, limits.memoryBytes, options);
      await setPids(fs, cgroup.path, limits.pids);
      if (hasIoLimits(limits.io)) await setIo(fs, cgroup.path, options.ioDevice!, limits.io);
    } catch (err) {
      await fs.rmdir(cgroup.path);
      throw err;
    }
    return cgroup;
  }

  /** An existing leaf (e.g. found after an agent restart). */
  static existing(fs: CgroupFs, parent: string, id: string): JobCgroup {
    return new JobCgroup(fs, `${parent}/${id}`);
  }

  /** The leaf's absolute path: the job monitor places the job in it before exec. */
  get dir(): string {
    return this.fs.path(this.path);
  }

  async pids(): Promise<number[]> {
    const text = await this.fs.readOptional(this.path, "cgroup.procs");
    return (text ?? "").split("\n").filter(Boolean).map(Number);
  }

  /** Signals every process in the cgroup (cgroup v2 has no cgroup.signal; cgroup.kill is SIGKILL only). */
  async signalAll(signal: NodeJS.Signals): Promise<void> {
    for (const pid of await this.pids()) {
      if (!(pid > 1)) continue; // never 0 (our own group) or init, whatever the file says
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /** SIGKILL to every process in the cgroup, atomically, including ones forking right now. */
  async kill(): Promise<void> {
    if (await this.fs.exists(this.path, "cgroup.kill")) await this.fs.write(this.path, "cgroup.kill", "1");
    else await this.signalAll("SIGKILL"); // kernels before 5.14
  }

  async populated(): Promise<boolean> {
    const events = await this.fs.readOptional(this.path, "cgroup.events");
    return events !== undefined && parseKeyValues(events).populated === 1;
  }

  /**
   * Resolves once no process is left (cgroup.events "populated 0"), or after
   * timeoutMs. The kernel signals changes of cgroup.events as file
   * modifications, so this waits on inotify rather than polling.
   */
  async waitEmpty(timeoutMs: number): Promise<boolean> {
    if (!(await this.populated())) return true;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (empty: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        watcher?.close();
        resolve(empty);
      };
      const check = () => void this.populated().then((p) => !p && finish(true), () => finish(true));
      const timer = setTimeout(() => void this.populated().then((p) => finish(!p), () => finish(true)), timeoutMs);
      let watcher: ReturnType<typeof watch> | undefined;
      try {
        watcher = watch(this.fs.path(this.path, "cgroup.events"), check);
        watcher.on("error", () => finish(true));
      } catch {
        watcher = undefined;
      }
      check(); // it may have emptied between the first read and the watch
    });
  }

  async stats(): Promise<CgroupStats> {
    const [cpu, memory, io, pids] = await Promise.all([
      statCpu(this.fs, this.path),
      statMemory(this.fs, this.path),
      statIo(this.fs, this.path),
      statPids(this.fs, this.path),
    ]);
    return { cpu, memory, io, pids };
  }

  /** Removes the (empty) leaf. */
  async remove(): Promise<void> {
    await this.fs.rmdir(this.path);
  }
}
