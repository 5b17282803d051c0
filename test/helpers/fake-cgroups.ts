// Fake cgroupfs trees for hosts without cgroup v2: plain directories and files
// in a temporary directory, seeded with a 6.1 kernel's file formats. For the
// cgroup modules' unit tests, a bare tree; for the job manager, a Placement
// whose every job leaf is seeded, so that it runs real processes "in" cgroups
// whose stats are these known values. (The real kernel is tested in the VM:
// test/kernel/.)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CgroupFs } from "../../agent/cgroups/cgroupfs.js";
import { Placement } from "../../agent/jobs/placement.js";
import { tempDir } from "./tmp.js";

/** Creates `cgroup` under `root` with these files in it. */
export function seed(root: string, cgroup: string, files: Record<string, string>): void {
  mkdirSync(join(root, cgroup), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, cgroup, name), text);
}

/** A temporary directory as a cgroupfs root, and a CgroupFs on it; dir.cleanup() removes it. */
export function fakeCgroupTree(): { dir: ReturnType<typeof tempDir>; fs: CgroupFs; read: (cgroup: string, file: string) => string } {
  const dir = tempDir();
  return { dir, fs: new CgroupFs(dir.path), read: (cgroup, file) => readFileSync(join(dir.path, cgroup, file), "utf8") };
}

export const LEAF_FILES: Record<string, string> = {
  "cgroup.procs": "", // the exec shim writes its pid here (open without O_CREAT)
  "cgroup.events": "populated 0\nfrozen 0\n",
  "cgroup.kill": "",
  "cpu.stat": "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 40\nnr_throttled 30\nthrottled_usec 1500000\nnr_bursts 0\nburst_usec 0\n",
  "memory.current": "125829120\n",
  "memory.peak": "157286400\n",
  "memory.stat": "anon 104857600\nfile 20971520\nkernel 1048576\nactive_file 4194304\ninactive_file 16777216\nslab 524288\n",
  "memory.events": "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 1\n",
  "io.stat": "254:0 rbytes=4096 wbytes=10485760 rios=1 wios=160 dbytes=0 dios=0\n7:0 rbytes=8192 wbytes=0 rios=2 wios=0 dbytes=0 dios=0\n",
  "pids.current": "3\n",
};

/** Creates job leaves with LEAF_FILES in them; removes them whole (a real cgroup's files go with rmdir). */
class SeededCgroupFs extends CgroupFs {
  override async mkdir(cgroup: string): Promise<void> {
    await super.mkdir(cgroup);
    if (cgroup.startsWith("delegated/jobs/")) seed(this.root, cgroup, LEAF_FILES);
  }

  override async rmdir(cgroup: string): Promise<void> {
    rmSync(this.path(cgroup), { recursive: true, force: true });
  }
}

export function fakeCgroupPlacement(root: string): Placement {
  mkdirSync(join(root, "delegated", "jobs"), { recursive: true });
  mkdirSync(join(root, "delegated", "monitors"), { recursive: true });
  writeFileSync(join(root, "delegated", "monitors", "cgroup.procs"), ""); // the monitors move themselves here
  const fs = new SeededCgroupFs(root);
  return new Placement({
    cgroups: { mode: "v2", fs, root: "delegated", jobsParent: "delegated/jobs", monitors: "delegated/monitors" },
    bestEffortLimits: false,
    swap: false,
    oomGroup: true,
  });
}
