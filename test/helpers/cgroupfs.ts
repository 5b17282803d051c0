// A fake cgroupfs tree for the cgroup modules' unit tests: plain directories
// and files in a temporary directory, seeded with real kernel-format text.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CgroupFs } from "../../agent/cgroups/cgroupfs.js";
import { tempDir } from "./tmp.js";

/** Creates `cgroup` under `root` with these files in it. */
export function seed(root: string, cgroup: string, files: Record<string, string>): void {
  mkdirSync(join(root, cgroup), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, cgroup, name), text);
}

/** A temporary directory as a cgroupfs root, and a CgroupFs on it; cleanup() removes it. */
export function fakeCgroupTree(): { dir: ReturnType<typeof tempDir>; fs: CgroupFs; read: (cgroup: string, file: string) => string } {
  const dir = tempDir();
  return { dir, fs: new CgroupFs(dir.path), read: (cgroup, file) => readFileSync(join(dir.path, cgroup, file), "utf8") };
}
