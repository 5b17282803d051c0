// All cgroup file access goes through here, rooted at one directory: the
// cgroup v2 mount (/sys/fs/cgroup) in production, a fake tree seeded with
// real kernel-format text in unit tests. Paths are relative to the root and
// may not escape it.
import { mkdir, readFile, rmdir, writeFile, access } from "node:fs/promises";
import { isAbsolute, join, normalize } from "node:path";

export class CgroupFs {
  constructor(readonly root: string) {}

  /** Absolute path of a cgroup (relative path "" is the root). */
  path(cgroup: string, file?: string): string {
    const rel = normalize(file ? join(cgroup, file) : cgroup || ".");
    if (isAbsolute(rel) || rel === ".." || rel.startsWith("../")) throw new Error(`cgroup path escapes the hierarchy: ${cgroup}/${file ?? ""}`);
    return join(this.root, rel);
  }

  async read(cgroup: string, file: string): Promise<string> {
    return readFile(this.path(cgroup, file), "utf8");
  }

  /** Reads a file, or undefined if it does not exist (e.g. a controller not enabled, or an older kernel). */
  async readOptional(cgroup: string, file: string): Promise<string | undefined> {
    try {
      return await this.read(cgroup, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /** One write(2) of the whole value: cgroup files take one value per write. */
  async write(cgroup: string, file: string, value: string): Promise<void> {
    await writeFile(this.path(cgroup, file), value);
  }

  async exists(cgroup: string, file?: string): Promise<boolean> {
    return access(this.path(cgroup, file)).then(
      () => true,
      () => false,
    );
  }

  async mkdir(cgroup: string): Promise<void> {
    await mkdir(this.path(cgroup), { recursive: true });
  }

  /** Removes an empty cgroup; a cgroup with no processes counts as empty whatever files it shows. */
  async rmdir(cgroup: string): Promise<void> {
    try {
      await rmdir(this.path(cgroup));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
}

/** Parses "key value" lines (cpu.stat, memory.stat, memory.events, cgroup.events). */
export function parseKeyValues(text: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0) result[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return result;
}

/** Formats a limit for writing: 0 or Infinity means no limit ("max"). */
export function formatLimit(value: number): string {
  return value > 0 && Number.isFinite(value) ? String(Math.floor(value)) : "max";
}
