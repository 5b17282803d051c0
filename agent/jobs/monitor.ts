// The per-job monitor (agent/shim/jobworker-monitor.c) seen from the agent:
// starting one, and reading the two files it leaves in the job's directory.
//
//   <jobDir>/monitor   who the monitor and the job are, and the exec outcome
//   <jobDir>/exit      how the job ended, once its output is complete
//
// Both are "key=value" lines, written atomically by the monitor. The agent
// never holds a job's pipes: everything it knows of a job comes from here and
// from the output file, so an agent that restarts knows exactly what the one
// that started the job knew.
import { readFile } from "node:fs/promises";
import { constants } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FailedPreconditionError } from "../errors.js";
import { stateDirFull } from "./store.js";
import { LaunchOutcomeUnknownError, spawnDirectly, type Launcher } from "./launcher.js";

/** dist/agent/jobs/monitor.js -> dist/bin/jobworker-monitor, built by scripts/build-shim.mjs. */
export const DEFAULT_MONITOR_PATH = fileURLToPath(new URL("../../bin/jobworker-monitor", import.meta.url));

export interface MonitorSpec {
  monitorPath: string;
  jobDir: string;
  workDir: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  /** The job's cgroup leaf (absolute); the job joins it before exec. */
  jobCgroup?: string;
  /** cgroup.procs of the leaf monitors live in: outside the job's leaf and the agent's. */
  monitorProcs?: string;
  uid?: number;
  gid?: number;
  /** The uid and gid are the job's own: the monitor refuses them if anything else uses them. */
  ownIds?: boolean;
  /** With ownIds: where the monitor claims the uid host-wide (uid-claims.ts). */
  uidClaimDir?: string;
  outputCapBytes: number;
  /** After the command ends, how long output from processes that escaped the job may still arrive. */
  drainTimeoutMs: number;
}

/** Who the monitor and the job are (the `monitor` file). */
export interface MonitorInfo {
  monitorPid: number;
  monitorStartTicks: string;
  jobPid: number;
  jobStartTicks: string;
  /** Set when the command could not be executed ("exec foo: No such file or directory"). */
  execError?: string;
  /** Which step failed and how, when execError is set. */
  startFailure?: StartFailure;
}

/**
 * The step of becoming the job that failed ("exec", "chdir", "setuid",
 * "cgroup", ...) and its errno name ("ENOENT"): what a caller decides on
 * (not found is 127, not executable 126), so that nobody parses the message.
 */
export interface StartFailure {
  step: string;
  errnoName: string;
}

/** How the job ended (the `exit` file). */
export interface ExitInfo {
  /** null when ended by a signal, or when it never executed. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  endTime: Date;
  outputBytes: number;
  droppedBytes: number;
  /** Why some output could not be written (a full disk...), if it could not. */
  writeError?: string;
  execError?: string;
  startFailure?: StartFailure;
  /** The monitor killed what ran as the job's uid and removed its working directory. */
  cleaned: boolean;
}

/** The uid (or gid) is already someone's: pick another and try again. */
export class UidInUseError extends Error {}

/**
 * Starts a monitor and resolves once it reports the job executing (or failing to):
 * through the launcher helper when given one (launcher.ts), else by spawning it directly.
 */
export async function startMonitor(spec: MonitorSpec, launcher?: Launcher): Promise<MonitorInfo> {
  const run = launcher ? launcher.run.bind(launcher) : spawnDirectly;
  try {
    return parseReport(await run(spec.monitorPath, monitorArgs(spec), spec.env));
  } catch (err) {
    if (!(err instanceof LaunchOutcomeUnknownError)) throw err;
    // The monitor writes its monitor file before it reports: if it started the job, the file says so.
    const info = await waitForMonitorFile(spec.jobDir, UNKNOWN_LAUNCH_WAIT_MS);
    if (!info) throw err;
    return info;
  }
}

/** How long a launch whose helper died may take to show its monitor file (a monitor's setup takes milliseconds). */
const UNKNOWN_LAUNCH_WAIT_MS = 30_000;

async function waitForMonitorFile(jobDir: string, timeoutMs: number): Promise<MonitorInfo | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await readMonitorFile(jobDir).catch(() => undefined);
    if (info || Date.now() >= deadline) return info;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function monitorArgs(spec: MonitorSpec): string[] {
  const args = ["-D", spec.jobDir, "-d", spec.workDir, "-l", String(spec.outputCapBytes), "-t", String(spec.drainTimeoutMs)];
  if (spec.jobCgroup) args.push("-c", spec.jobCgroup);
  if (spec.monitorProcs) args.push("-m", spec.monitorProcs);
  if (spec.gid !== undefined) args.push("-g", String(spec.gid));
  if (spec.uid !== undefined) args.push("-u", String(spec.uid));
  if (spec.ownIds) args.push("-n");
  if (spec.ownIds && spec.uidClaimDir) args.push("-U", spec.uidClaimDir);
  args.push("--", spec.command, ...spec.args);
  return args;
}

function parseReport(text: string): MonitorInfo {
  const fields = parseFields(text);
  if (fields.error !== undefined) throw setupError(fields.error);
  const info = toMonitorInfo(fields);
  if (!info) throw new Error(`the job monitor ended without reporting (${JSON.stringify(text.slice(0, 200))})`);
  return info;
}

/** A monitor that could not set the job up says why; the agent answers with the matching error. */
function setupError(reason: string): Error {
  if (reason.startsWith("uid-in-use")) return new UidInUseError(reason);
  if (/No space left on device|Disk quota exceeded/.test(reason)) return stateDirFull(reason);
  if (reason.startsWith("monitor cgroup")) return new FailedPreconditionError(reason);
  return new Error(`the job monitor could not start the job: ${reason}`);
}

/** The `monitor` file, or undefined while it is not (yet) there. */
export async function readMonitorFile(jobDir: string): Promise<MonitorInfo | undefined> {
  const text = await readOptional(join(jobDir, "monitor"));
  return text === undefined ? undefined : toMonitorInfo(parseFields(text));
}

/** The `exit` file, or undefined while the job has not ended. */
export async function readExitFile(jobDir: string): Promise<ExitInfo | undefined> {
  const text = await readOptional(join(jobDir, "exit"));
  if (text === undefined) return undefined;
  const f = parseFields(text);
  const code = Number(f.exit_code ?? -1);
  return {
    exitCode: code >= 0 ? code : null,
    signal: (f.signal || null) as NodeJS.Signals | null,
    endTime: new Date(Number(f.end_time_ms)),
    outputBytes: Number(f.output_bytes ?? 0),
    droppedBytes: Number(f.dropped_bytes ?? 0),
    writeError: f.write_error,
    execError: f.exec_error,
    startFailure: startFailureOf(f),
    cleaned: f.cleaned !== "0",
  };
}

function toMonitorInfo(f: Record<string, string>): MonitorInfo | undefined {
  const monitorPid = Number(f.monitor_pid);
  const jobPid = Number(f.job_pid);
  if (!(monitorPid > 0 && jobPid > 0)) return undefined;
  return { monitorPid, monitorStartTicks: f.monitor_start ?? "", jobPid, jobStartTicks: f.job_start ?? "", execError: f.exec_error, startFailure: startFailureOf(f) };
}

/** The errno names of this host, by number (the monitor writes the number: C has no portable name for it). */
const ERRNO_NAMES = new Map<number, string>();
for (const [name, number] of Object.entries(constants.errno)) if (!ERRNO_NAMES.has(number)) ERRNO_NAMES.set(number, name); // EAGAIN before EWOULDBLOCK

function startFailureOf(f: Record<string, string>): StartFailure | undefined {
  if (f.exec_step === undefined) return undefined;
  const number = Number(f.exec_errno);
  return { step: f.exec_step, errnoName: ERRNO_NAMES.get(number) ?? (Number.isInteger(number) && number > 0 ? `errno ${number}` : "") };
}

function parseFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) fields[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return fields;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
