// Signalling a job's process group, and telling a process apart from a later
// one with the same pid.
//
// The monitor starts each job in a new session, so the job is its own process
// group: pgid == pid. Signals go to the whole group, which reaches children and
// grandchildren that stayed in it. (Processes that leave the group with setsid
// are reached through the job's cgroup when there is one.)
import { readFileSync } from "node:fs";

/** Sends a signal to every process in the group. Returns false if the group is gone (or not ours to signal). */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (pgid <= 1) return false; // never signal -1 (everything) or init
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    // ESRCH: nothing left. EPERM: what is left changed credentials (a setuid program);
    // the job's cgroup, where there is one, still reaches it.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ESRCH" || code === "EPERM") return false;
    throw err;
  }
}

/** Fields of /proc/PID/stat after the command name: [0] is the state, [19] the start time. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** Start time of a process in clock ticks since boot, or undefined if it does not exist. */
export function processStartTicks(pid: number): string | undefined {
  return statFields(pid)?.[19]; // field 22 overall
}

/** True while the process that had this pid and start time still exists (a zombie counts: its pid is not reused). */
export function isSameProcess(pid: number | undefined, startTicks: string | undefined): boolean {
  return pid !== undefined && pid > 1 && startTicks !== undefined && startTicks !== "" && processStartTicks(pid) === startTicks;
}

/** Like isSameProcess, but a zombie (it has ended, its parent has not yet reaped it) does not count. */
export function isStillRunning(pid: number | undefined, startTicks: string | undefined): boolean {
  if (pid === undefined || pid <= 1 || !startTicks) return false;
  const fields = statFields(pid);
  return fields !== undefined && fields[19] === startTicks && fields[0] !== "Z" && fields[0] !== "X";
}
