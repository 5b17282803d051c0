// Taking over the cgroup v2 subtree the agent was delegated (systemd
// Delegate=yes, or a privileged pod), obeying the no-internal-processes rule:
//
//   <root>/                 the cgroup we were given: we write only its cgroup.subtree_control
//   <root>/agent/           the agent's own processes, moved here first
//   <root>/monitors/        every job's monitor: outside the agent's leaf (a service
//                           manager that kills the agent's processes on restart
//                           leaves them) and outside the jobs' (an OOM kill of a job
//                           with memory.oom.group does not take its monitor)
//   <root>/jobs/            enables the controllers for its children
//   <root>/jobs/<job id>/   one leaf per job, with its limits
//
// Where this is impossible the agent still runs, without resource control,
// and says exactly why (CgroupUnavailable.reason).
import { readFile } from "node:fs/promises";
import { CgroupFs } from "./cgroupfs.js";

export const REQUIRED_CONTROLLERS = ["cpu", "memory", "io", "pids"] as const;
const ENABLE = REQUIRED_CONTROLLERS.map((c) => `+${c}`).join(" ");

export interface CgroupAvailable {
  mode: "v2";
  fs: CgroupFs;
  /** The delegated cgroup, relative to the mount. */
  root: string;
  /** Parent of the job leaves, relative to the mount. */
  jobsParent: string;
  /** The leaf the job monitors live in, relative to the mount. */
  monitors: string;
}

export interface CgroupUnavailable {
  mode: "unavailable";
  reason: string;
}

export type CgroupSetup = CgroupAvailable | CgroupUnavailable;

export interface DelegationOptions {
  /** Where cgroup2 is mounted. */
  mountPoint?: string;
  /** The delegated cgroup relative to the mount; default: the agent's own, from /proc/self/cgroup. */
  root?: string;
  /** Overridable for tests. */
  procSelfCgroup?: string;
  mountInfo?: string;
  pid?: number;
}

export async function setupDelegation(options: DelegationOptions = {}): Promise<CgroupSetup> {
  const mountPoint = options.mountPoint ?? "/sys/fs/cgroup";
  try {
    const mountError = await checkCgroup2Mount(mountPoint, options.mountInfo ?? "/proc/self/mountinfo");
    if (mountError) return unavailable(mountError);
    const root = options.root !== undefined ? trimSlashes(options.root) : delegatedRoot(trimSlashes(await ownCgroup(options.procSelfCgroup ?? "/proc/self/cgroup")));
    const fs = new CgroupFs(mountPoint);
    const missing = await missingControllers(fs, root);
    if (missing.length > 0) {
      return unavailable(
        `cgroup ${show(root)} lacks the ${missing.join(", ")} controller(s): they are not delegated to it (enable them in its parent's cgroup.subtree_control, or use systemd Delegate=yes)`,
      );
    }
    const own = trimSlashes(await ownCgroup(options.procSelfCgroup ?? "/proc/self/cgroup"));
    await moveOwnProcesses(fs, root, options.pid ?? process.pid, isWithin(own, root));
    await fs.write(root, "cgroup.subtree_control", ENABLE);
    const jobsParent = join(root, "jobs");
    await fs.mkdir(jobsParent);
    await fs.write(jobsParent, "cgroup.subtree_control", ENABLE);
    const monitors = join(root, "monitors");
    await fs.mkdir(monitors);
    return { mode: "v2", fs, root, jobsParent, monitors };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EACCES" || e.code === "EPERM" || e.code === "EROFS") {
      return unavailable(`no permission to manage the cgroup subtree (${e.message}); run as root with a delegated cgroup`);
    }
    return unavailable(`cgroup setup failed: ${e.message}`);
  }
}

/**
 * The agent's processes move from <root> to <root>/agent: a cgroup with children may hold no processes.
 * An agent whose own cgroup is outside a configured root stays where it is (e.g. in its own
 * systemd service while jobs live in another unit's delegated cgroup, see deploy/jobworker-jobs.service).
 */
async function moveOwnProcesses(fs: CgroupFs, root: string, ownPid: number, agentInsideRoot: boolean): Promise<void> {
  const agentLeaf = join(root, "agent");
  await fs.mkdir(agentLeaf);
  if (agentInsideRoot) await fs.write(agentLeaf, "cgroup.procs", String(ownPid));
  // The root cgroup is exempt from the no-internal-processes rule (and holds kernel threads, which cannot move).
  if (root === "") return;
  // Anything else already in a delegated cgroup (e.g. a pod's other processes) would block enabling controllers.
  const others = (await fs.read(root, "cgroup.procs")).split("\n").filter((pid) => pid !== "" && pid !== String(ownPid));
  for (const pid of others) {
    try {
      await fs.write(agentLeaf, "cgroup.procs", pid);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ESRCH" && code !== "EINVAL") throw err; // gone meanwhile, or a kernel thread
    }
  }
}

async function checkCgroup2Mount(mountPoint: string, mountInfoPath: string): Promise<string | undefined> {
  const mountInfo = await readFile(mountInfoPath, "utf8");
  for (const line of mountInfo.split("\n")) {
    const fields = line.split(" ");
    const separator = fields.indexOf("-");
    if (separator < 0 || fields[4] !== mountPoint) continue;
    const fsType = fields[separator + 1];
    if (fsType === "cgroup2") return undefined;
    return `${mountPoint} is ${fsType}, not cgroup2: this host uses cgroup v1 or the hybrid layout; cgroup v2 (unified) is required for resource limits`;
  }
  return `nothing is mounted at ${mountPoint}: cgroup v2 is required for resource limits`;
}

/**
 * The delegated cgroup, from the one the agent runs in: that one itself, or its
 * parent when the agent already runs in <root>/agent (systemd's
 * DelegateSubgroup=agent, or a second call in the same process), so that the
 * layout is the same whichever way the agent was started.
 */
function delegatedRoot(own: string): string {
  return own.endsWith("/agent") ? own.slice(0, -"/agent".length) : own; // never the hierarchy's root itself
}

async function ownCgroup(procSelfCgroup: string): Promise<string> {
  const text = await readFile(procSelfCgroup, "utf8");
  const line = text.split("\n").find((l) => l.startsWith("0::"));
  if (!line) throw new Error(`${procSelfCgroup} has no cgroup v2 entry (0::)`);
  return line.slice(3);
}

async function missingControllers(fs: CgroupFs, root: string): Promise<string[]> {
  const available = (await fs.read(root, "cgroup.controllers")).trim().split(/\s+/);
  return REQUIRED_CONTROLLERS.filter((c) => !available.includes(c));
}

function unavailable(reason: string): CgroupUnavailable {
  return { mode: "unavailable", reason };
}

function isWithin(cgroup: string, root: string): boolean {
  return root === "" || cgroup === root || cgroup.startsWith(`${root}/`);
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, "");
}

function join(a: string, b: string): string {
  return a === "" ? b : `${a}/${b}`;
}

function show(root: string): string {
  return `/${root}`;
}
