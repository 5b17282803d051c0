import { readdirSync, readFileSync } from "node:fs";

/** Fields of /proc/PID/stat after the command name (state is [0], pgid is [2]), or undefined. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** True if a process exists and is not a zombie (a zombie has already died). */
export function isAlive(pid: number): boolean {
  const fields = statFields(pid);
  return fields !== undefined && fields[0] !== "Z";
}

/** Pids of live (non-zombie) processes in a process group. */
export function groupMembers(pgid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      const fields = statFields(pid);
      return fields !== undefined && fields[0] !== "Z" && Number(fields[2]) === pgid;
    });
}
