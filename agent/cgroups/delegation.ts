// Taking over the cgroup v2 subtree the agent was delegated (systemd
// Delegate=yes, or a privileged pod), obeying the no-internal-processes rule:
//
//   <root>/                 the cgroup we were given: we write only its cgroup.subtree_control
//   <root>/agent/           the agent's own processes, moved here first, if they were in <root>
//   <root>/monitors/        every job's monitor: outside the agent's leaf (a service
//                           manager that kills the agent's processes on restart
//                           leaves them) and outside the jobs' (an OOM kill of a job
//                           with memory.oom.group does not take its monitor)
//   <root>/jobs/            enables the controllers for its children
//   <root>/jobs/<job id>/   one leaf per job, with its limits
//
// <root> is the agent's own cgroup, or a configured one (cgroup.root). A
// configured root may lie anywhere, e.g. a host-level jobworker.slice while the
// agent runs in a pod's cgroup: it is created when missing, its ancestors get
// the controllers it lacks, and the agent stays where it was started (see
// placeAgent), so the pod's limits and lifetime cover the agent alone.
//
// Where this is impossible the agent still runs, without resource control,
// and says exactly why (CgroupUnavailable.reason).
import { readFile, readlink } from "node:fs/promises";
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
  /**
   * The delegated cgroup relative to the mount; default: the agent's own, from
   * /proc/self/cgroup. A configured root never depends on /proc/self/cgroup,
   * which in a cgroup namespace of its own shows "/" whatever the host path is.
   */
  root?: string;
  /** Overridable for tests. */
  procSelfCgroup?: string;
  mountInfo?: string;
  pid?: number;
  /** The agent's cgroup namespace and the host's (pid 1's, with hostPID): see namespaceReason. */
  ownCgroupNamespace?: string;
  hostCgroupNamespace?: string;
  /** The file access; a test may pass one that imitates the kernel's rules. */
  fs?: CgroupFs;
}

export async function setupDelegation(options: DelegationOptions = {}): Promise<CgroupSetup> {
  const mountPoint = options.mountPoint ?? "/sys/fs/cgroup";
  try {
    const mount = await findCgroup2Mount(mountPoint, options.mountInfo ?? "/proc/self/mountinfo");
    if (typeof mount === "string") return unavailable(mount);
    const fs = options.fs ?? new CgroupFs(mountPoint);
    const configured = options.root !== undefined;
    const root = configured ? trimSlashes(options.root!) : delegatedRoot(trimSlashes(await ownCgroup(options.procSelfCgroup ?? "/proc/self/cgroup")));
    if (configured) {
      const refusal = (await namespaceReason(mount, options)) ?? (await prepareConfiguredRoot(fs, root));
      if (refusal) return unavailable(refusal);
    }
    const missing = await missingControllers(fs, root);
    if (missing.length > 0) {
      return unavailable(
        `cgroup ${show(root)} lacks the ${missing.join(", ")} controller(s): they are not delegated to it (enable them in its parent's cgroup.subtree_control, or use systemd Delegate=yes)`,
      );
    }
    await placeAgent(fs, root, options.pid ?? process.pid);
    await enable(fs, root, REQUIRED_CONTROLLERS);
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
 * A configured root is the operator's choice of a subtree for the agent alone
 * (e.g. jobworker.slice under the host's root cgroup, reached through the
 * DaemonSet's hostPath mount): created if missing, and every ancestor, from the
 * top down, enables the required controllers it does not yet pass on (writing
 * only those, only where missing). Undefined when ready, else why not.
 */
async function prepareConfiguredRoot(fs: CgroupFs, root: string): Promise<string | undefined> {
  if (root === "") return "cgroup.root is the hierarchy's root cgroup: give the agent a cgroup of its own below it (e.g. jobworker.slice)";
  const parts = root.split("/");
  for (let depth = 0; depth < parts.length; depth++) {
    const ancestor = parts.slice(0, depth).join("/");
    const child = parts.slice(0, depth + 1).join("/");
    const passedOn = words(await fs.read(ancestor, "cgroup.subtree_control"));
    const lacking = REQUIRED_CONTROLLERS.filter((c) => !passedOn.includes(c));
    if (lacking.length > 0) {
      const available = words(await fs.read(ancestor, "cgroup.controllers"));
      const absent = lacking.filter((c) => !available.includes(c));
      if (absent.length > 0) return `cgroup ${show(ancestor)}, an ancestor of cgroup.root ${show(root)}, lacks the ${absent.join(", ")} controller(s) itself: they cannot be enabled for ${show(root)}`;
      try {
        await enable(fs, ancestor, lacking);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EBUSY") throw err;
        return `cannot enable ${lacking.join(", ")} in ${show(ancestor)}/cgroup.subtree_control, an ancestor of cgroup.root ${show(root)}: it holds processes of its own (the no-internal-processes rule); choose a cgroup.root whose ancestors hold none`;
      }
    }
    if (!(await fs.exists(child))) await fs.mkdir(child);
  }
  return undefined;
}

/**
 * In a cgroup namespace of its own, on a hierarchy mounted with nsdelegate (as
 * systemd mounts it), the kernel refuses to move a process to a cgroup outside
 * the namespace (ENOENT): monitors and jobs could never reach a configured root
 * elsewhere. Said once at start rather than as every job's failure.
 * containerd's CRI plugin gives privileged containers the host's cgroup
 * namespace, where this does not arise.
 */
async function namespaceReason(mount: Cgroup2Mount, options: DelegationOptions): Promise<string | undefined> {
  if (!mount.nsdelegate) return undefined;
  const own = await readlink(options.ownCgroupNamespace ?? "/proc/self/ns/cgroup").catch(() => undefined);
  const host = await readlink(options.hostCgroupNamespace ?? "/proc/1/ns/cgroup").catch(() => undefined);
  if (own === undefined || host === undefined || own === host) return undefined;
  return `the agent runs in a cgroup namespace of its own (${own}, pid 1 has ${host}) and cgroup2 is mounted with nsdelegate: the kernel will not move monitors and jobs out of the namespace into cgroup.root; run the agent in the host's cgroup namespace (a privileged container, with hostPID)`;
}

/**
 * The agent moves to <root>/agent only when it is in <root> itself, where its
 * presence would forbid enabling controllers (together with anything else
 * there, e.g. a pod's other processes). Started in <root>/agent, it is there
 * already; started outside <root> (a pod's cgroup, with a configured host-level
 * root), it stays: moving into a root outside the pod would take the agent out
 * of the container's limits and out of the container runtime's reach (a pod
 * kill would leave it running), and jobs outlive it anyway, in <root>.
 */
async function placeAgent(fs: CgroupFs, root: string, ownPid: number): Promise<void> {
  const here = pidsIn(await fs.read(root, "cgroup.procs"));
  if (!here.includes(String(ownPid))) return;
  const agentLeaf = join(root, "agent");
  await fs.mkdir(agentLeaf);
  await fs.write(agentLeaf, "cgroup.procs", String(ownPid));
  // The root cgroup is exempt from the no-internal-processes rule (and holds kernel threads, which cannot move).
  if (root === "") return;
  for (const pid of here.filter((p) => p !== String(ownPid))) {
    try {
      await fs.write(agentLeaf, "cgroup.procs", pid);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ESRCH" && code !== "EINVAL") throw err; // gone meanwhile, or a kernel thread
    }
  }
}

async function enable(fs: CgroupFs, cgroup: string, controllers: readonly string[]): Promise<void> {
  await fs.write(cgroup, "cgroup.subtree_control", controllers.map((c) => `+${c}`).join(" "));
}

interface Cgroup2Mount {
  /** Mounted with nsdelegate: cgroup namespaces are delegation boundaries. */
  nsdelegate: boolean;
}

/** The cgroup2 mount at mountPoint, or why there is none. */
async function findCgroup2Mount(mountPoint: string, mountInfoPath: string): Promise<Cgroup2Mount | string> {
  const mountInfo = await readFile(mountInfoPath, "utf8");
  for (const line of mountInfo.split("\n")) {
    const fields = line.split(" ");
    const separator = fields.indexOf("-");
    if (separator < 0 || fields[4] !== mountPoint) continue;
    const fsType = fields[separator + 1];
    if (fsType === "cgroup2") return { nsdelegate: (fields[separator + 3] ?? "").split(",").includes("nsdelegate") };
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
  const available = words(await fs.read(root, "cgroup.controllers"));
  return REQUIRED_CONTROLLERS.filter((c) => !available.includes(c));
}

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

function pidsIn(procs: string): string[] {
  return procs.split("\n").filter(Boolean);
}

function unavailable(reason: string): CgroupUnavailable {
  return { mode: "unavailable", reason };
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
