import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Fields of /proc/PID/stat after the command name (state is [0], pgid is [2]), or undefined.
 * The tests' own parser, not agent/jobs/process.ts's: tests of that module need an oracle of their own.
 */
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

/** Pids of live (non-zombie) processes with uid as any of their real, effective, saved or filesystem uids. */
export function processesOfUid(uid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      let status: string;
      try {
        status = readFileSync(`/proc/${pid}/status`, "latin1");
      } catch {
        return false;
      }
      if (/^State:\s+[ZX]/m.test(status)) return false;
      const uids = /^Uid:\s+(.*)$/m.exec(status)?.[1].trim().split(/\s+/).map(Number) ?? [];
      return uids.includes(uid);
    });
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

/**
 * Jobs outlive their agent: a test that is done with a state directory kills
 * what its jobs left running (each job's group, then its monitor), as named
 * in the monitor files there, before the directory is removed.
 */
export function killLeftoverJobs(stateDir: string): void {
  let ids: string[];
  try {
    ids = readdirSync(join(stateDir, "jobs"));
  } catch {
    return;
  }
  for (const id of ids) {
    let text: string;
    try {
      text = readFileSync(join(stateDir, "jobs", id, "monitor"), "utf8");
    } catch {
      continue;
    }
    const field = (name: string) => Number(new RegExp(`^${name}=(\\d+)$`, "m").exec(text)?.[1] ?? 0);
    for (const [pid, group] of [[field("job_pid"), true], [field("monitor_pid"), false]] as const) {
      if (pid > 1 && isAlive(pid)) {
        try {
          process.kill(group ? -pid : pid, "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
    }
  }
}
