// Starting a job's process tree through the exec shim, and signalling it.
//
// The shim runs in a new session (spawn's `detached`), so the job is its own
// process group: pgid == pid. Signals go to the whole group, which reaches
// children and grandchildren that stayed in it. (Processes that leave the
// group with setsid are reached through the job's cgroup when there is one.)
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Readable } from "node:stream";

/** dist/agent/jobs/process.js -> dist/bin/jobworker-exec, built by scripts/build-shim.mjs. */
export const DEFAULT_SHIM_PATH = fileURLToPath(new URL("../../bin/jobworker-exec", import.meta.url));

export interface SpawnSpec {
  shimPath: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
  /** A cgroup's cgroup.procs file the shim joins before exec. */
  cgroupProcs?: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedProcess {
  pid: number;
  /** stdout and stderr combined (the shim points both at this pipe). */
  output: Readable;
  /** Resolves to undefined once the command is executing, or to the reason it could not be. */
  execError: Promise<string | undefined>;
  exited: Promise<ExitInfo>;
}

export function spawnJobProcess(spec: SpawnSpec): SpawnedProcess {
  const shimArgs: string[] = [];
  if (spec.cgroupProcs) shimArgs.push("-c", spec.cgroupProcs);
  if (spec.gid !== undefined) shimArgs.push("-g", String(spec.gid));
  if (spec.uid !== undefined) shimArgs.push("-u", String(spec.uid));
  shimArgs.push("-d", spec.cwd, "--", spec.command, ...spec.args);

  // fd 3 is the shim's close-on-exec status channel; stderr is merged by the shim.
  const child = spawn(spec.shimPath, shimArgs, {
    detached: true,
    stdio: ["ignore", "pipe", "ignore", "pipe"],
    env: spec.env,
    cwd: "/",
  });

  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: 127, signal: null }));
  });
  const execError = new Promise<string | undefined>((resolve) => {
    child.once("error", (err) => resolve(`spawn ${spec.shimPath}: ${err.message}`));
    const status = child.stdio[3] as Readable | null;
    if (!status) return resolve("internal: no status channel");
    const parts: Buffer[] = [];
    status.on("data", (chunk: Buffer) => parts.push(chunk));
    status.once("close", () => {
      const text = Buffer.concat(parts).toString("utf8").trim();
      resolve(text === "" ? undefined : text);
    });
  });

  return { pid: child.pid ?? 0, output: child.stdout!, execError, exited };
}

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

/** Start time of a process in clock ticks since boot, or undefined if it does not exist. */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19]; // field 22 overall
  } catch {
    return undefined;
  }
}
