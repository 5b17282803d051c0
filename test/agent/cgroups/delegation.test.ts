// Delegation (which cgroup subtree the agent takes, and how) against a fake
// cgroupfs tree seeded with real kernel-format text. (Real kernel behaviour is
// tested in the VM: test/vm/.)
import { expect } from "chai";
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CgroupFs } from "../../../agent/cgroups/cgroupfs.js";
import { setupDelegation } from "../../../agent/cgroups/delegation.js";
import { seed } from "../../helpers/fake-cgroups.js";
import { tempDir } from "../../helpers/tmp.js";

// The kernel's order of cgroup v2 controllers in cgroup.controllers and cgroup.subtree_control.
const KERNEL_ORDER = ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"];

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/**
 * A fake cgroupfs that keeps the kernel's rules the delegation code relies on
 * (kernel/cgroup/cgroup.c): a new cgroup's cgroup.controllers is its parent's
 * cgroup.subtree_control; "+c" needs c in the cgroup's own cgroup.controllers
 * (ENOENT) and, but in the root, no processes in it (EBUSY); a write to
 * cgroup.procs moves the pid from wherever it was.
 */
class KernelRulesCgroupFs extends CgroupFs {
  override async mkdir(cgroup: string): Promise<void> {
    const parts = cgroup.split("/");
    for (let depth = 1; depth <= parts.length; depth++) {
      const path = parts.slice(0, depth).join("/");
      if (existsSync(this.path(path))) continue;
      const parent = parts.slice(0, depth - 1).join("/");
      seed(this.root, path, { "cgroup.controllers": readFileSync(this.path(parent, "cgroup.subtree_control"), "utf8"), "cgroup.procs": "", "cgroup.subtree_control": "" });
    }
  }

  override async write(cgroup: string, file: string, value: string): Promise<void> {
    if (file === "cgroup.subtree_control") return this.changeSubtree(cgroup, value);
    if (file === "cgroup.procs") return this.move(cgroup, value);
    return super.write(cgroup, file, value);
  }

  private changeSubtree(cgroup: string, value: string): void {
    const available = readFileSync(this.path(cgroup, "cgroup.controllers"), "utf8").split(/\s+/);
    const enabled = new Set(readFileSync(this.path(cgroup, "cgroup.subtree_control"), "utf8").split(/\s+/).filter(Boolean));
    for (const token of value.split(/\s+/).filter(Boolean)) {
      const name = token.slice(1);
      if (!available.includes(name)) throw errno("ENOENT", `${name} is not available in /${cgroup}`);
      if (token.startsWith("+")) enabled.add(name);
      else enabled.delete(name);
    }
    if (cgroup !== "" && enabled.size > 0 && readFileSync(this.path(cgroup, "cgroup.procs"), "utf8").trim() !== "") throw errno("EBUSY", `/${cgroup} holds processes`);
    const text = KERNEL_ORDER.filter((c) => enabled.has(c)).join(" ") + "\n";
    writeFileSync(this.path(cgroup, "cgroup.subtree_control"), text);
    for (const child of readdirSync(this.path(cgroup), { withFileTypes: true })) {
      if (child.isDirectory()) writeFileSync(join(this.path(cgroup), child.name, "cgroup.controllers"), text);
    }
  }

  private move(cgroup: string, pid: string): void {
    for (const procs of this.allProcsFiles("")) {
      const left = readFileSync(procs, "utf8").split("\n").filter((p) => p !== "" && p !== pid);
      writeFileSync(procs, left.map((p) => `${p}\n`).join(""));
    }
    writeFileSync(this.path(cgroup, "cgroup.procs"), readFileSync(this.path(cgroup, "cgroup.procs"), "utf8") + `${pid}\n`);
  }

  private allProcsFiles(cgroup: string): string[] {
    const here = this.path(cgroup, "cgroup.procs");
    const children = readdirSync(this.path(cgroup), { withFileTypes: true }).filter((d) => d.isDirectory());
    return [...(existsSync(here) ? [here] : []), ...children.flatMap((d) => this.allProcsFiles(cgroup === "" ? d.name : `${cgroup}/${d.name}`))];
  }
}

describe("cgroups/delegation (fake cgroupfs)", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => dir.cleanup());

  function fixture(mountType: string, controllers: string): { mountInfo: string; procSelfCgroup: string } {
    const mountInfo = join(dir.path, "mountinfo");
    writeFileSync(mountInfo, `24 1 0:22 / /proc rw,nosuid - proc proc rw\n35 24 0:30 / ${join(dir.path, "cg")} rw,nosuid - ${mountType} ${mountType} rw\n`);
    const procSelfCgroup = join(dir.path, "self-cgroup");
    writeFileSync(procSelfCgroup, "0::/system.slice/jobagent.service\n");
    seed(join(dir.path, "cg"), "system.slice/jobagent.service", { "cgroup.controllers": controllers, "cgroup.procs": "4242\n", "cgroup.subtree_control": "" });
    return { mountInfo, procSelfCgroup };
  }

  it("moves the agent into <root>/agent and enables the controllers for <root>/jobs", async () => {
    const files = fixture("cgroup2", "cpuset cpu io memory hugetlb pids rdma misc\n");
    const setup = await setupDelegation({ mountPoint: join(dir.path, "cg"), ...files, pid: 4242 });
    expect(setup).to.include({ mode: "v2", root: "system.slice/jobagent.service", jobsParent: "system.slice/jobagent.service/jobs" });
    const root = join(dir.path, "cg/system.slice/jobagent.service");
    expect(readFileSync(join(root, "agent/cgroup.procs"), "utf8")).to.equal("4242");
    expect(readFileSync(join(root, "cgroup.subtree_control"), "utf8")).to.equal("+cpu +memory +io +pids");
    expect(readFileSync(join(root, "jobs/cgroup.subtree_control"), "utf8")).to.equal("+cpu +memory +io +pids");
  });

  it("started in <root>/agent (systemd DelegateSubgroup=agent, or again in-process) it takes <root>, not <root>/agent", async () => {
    const files = fixture("cgroup2", "cpuset cpu io memory hugetlb pids rdma misc\n");
    seed(join(dir.path, "cg"), "system.slice/jobagent.service/agent", { "cgroup.procs": "4242\n" });
    writeFileSync(files.procSelfCgroup, "0::/system.slice/jobagent.service/agent\n");
    const setup = await setupDelegation({ mountPoint: join(dir.path, "cg"), ...files, pid: 4242 });
    expect(setup).to.include({ mode: "v2", root: "system.slice/jobagent.service", monitors: "system.slice/jobagent.service/monitors" });
  });

  it("on cgroup v1 or hybrid hosts: unavailable, saying why", async () => {
    const files = fixture("tmpfs", "");
    const setup = await setupDelegation({ mountPoint: join(dir.path, "cg"), ...files });
    expect(setup).to.deep.include({ mode: "unavailable" });
    expect((setup as { reason: string }).reason).to.match(/is tmpfs, not cgroup2: this host uses cgroup v1 or the hybrid layout/);
  });

  it("without delegated controllers: unavailable, naming the missing ones", async () => {
    const files = fixture("cgroup2", "cpu memory\n");
    const setup = await setupDelegation({ mountPoint: join(dir.path, "cg"), ...files });
    expect((setup as { reason: string }).reason).to.match(/lacks the io, pids controller\(s\)/);
  });

  describe("a configured root outside the agent's cgroup (the DaemonSet's host-level jobworker.slice)", () => {
    let cg: string;
    let kernel: KernelRulesCgroupFs;
    let files: { mountInfo: string; procSelfCgroup: string };
    /** A node: the host root passes on cpu, memory and pids (not io); the agent (pid 4242) is in a pod's cgroup. */
    beforeEach(() => {
      files = fixture("cgroup2", "");
      cg = join(dir.path, "cg");
      seed(cg, "", { "cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n", "cgroup.subtree_control": "cpu memory pids\n", "cgroup.procs": "1\n" });
      kernel = new KernelRulesCgroupFs(cg);
      for (const path of ["kubepods", "kubepods/pod1", "kubepods/pod1/agent"]) void kernel.mkdir(path);
      writeFileSync(join(cg, "kubepods/pod1/agent/cgroup.procs"), "4242\n");
      // In a cgroup namespace of its own the agent sees "/" here: a configured root must not depend on it.
      writeFileSync(files.procSelfCgroup, "0::/\n");
    });
    const text = (cgroup: string, file: string) => readFileSync(join(cg, cgroup, file), "utf8");
    const setupFor = (root: string) => setupDelegation({ mountPoint: cg, ...files, root, pid: 4242, fs: kernel });

    it("is created, the host root enables only the controller it lacked (io), and the agent stays in its pod's cgroup", async () => {
      const setup = await setupFor("jobworker.slice");
      expect(setup).to.include({ mode: "v2", root: "jobworker.slice", jobsParent: "jobworker.slice/jobs", monitors: "jobworker.slice/monitors" });
      expect(text("", "cgroup.subtree_control")).to.equal("cpu io memory pids\n");
      expect(text("jobworker.slice", "cgroup.subtree_control")).to.equal("cpu io memory pids\n");
      expect(text("jobworker.slice/jobs", "cgroup.controllers")).to.equal("cpu io memory pids\n");
      expect(text("kubepods/pod1/agent", "cgroup.procs")).to.equal("4242\n");
      expect(existsSync(join(cg, "jobworker.slice/agent"))).to.equal(false);
    });

    it("found again by the next agent (a new pod), it is taken as it is", async () => {
      await setupFor("jobworker.slice");
      const before = text("", "cgroup.subtree_control");
      writeFileSync(join(cg, "jobworker.slice/monitors/cgroup.procs"), "5000\n"); // a monitor the first agent left
      const setup = await setupFor("/jobworker.slice/");
      expect(setup).to.include({ mode: "v2", root: "jobworker.slice" });
      expect(text("", "cgroup.subtree_control")).to.equal(before);
      expect(text("jobworker.slice/monitors", "cgroup.procs")).to.equal("5000\n");
    });

    it("deeper down, every ancestor from the top passes the controllers on", async () => {
      const setup = await setupFor("node.slice/jobworker.slice");
      expect(setup).to.include({ mode: "v2", root: "node.slice/jobworker.slice" });
      expect(text("node.slice", "cgroup.subtree_control")).to.equal("cpu io memory pids\n");
      expect(text("node.slice/jobworker.slice", "cgroup.controllers")).to.equal("cpu io memory pids\n");
    });

    it("under an ancestor that holds processes: unavailable, naming it and the rule", async () => {
      writeFileSync(join(cg, "kubepods/pod1/cgroup.procs"), "77\n");
      const setup = await setupFor("kubepods/pod1/jobs.slice");
      expect((setup as { reason: string }).reason).to.match(/cannot enable cpu, memory, io, pids in \/kubepods\/pod1\/cgroup.subtree_control, an ancestor of cgroup.root \/kubepods\/pod1\/jobs.slice: it holds processes of its own/);
    });

    it("under an ancestor that lacks a controller itself: unavailable, naming it", async () => {
      writeFileSync(join(cg, "cgroup.controllers"), "cpuset cpu memory hugetlb pids\n");
      const setup = await setupFor("jobworker.slice");
      expect((setup as { reason: string }).reason).to.match(/cgroup \/, an ancestor of cgroup.root \/jobworker.slice, lacks the io controller/);
    });

    it("the hierarchy's root itself is refused", async () => {
      const setup = await setupFor("/");
      expect((setup as { reason: string }).reason).to.match(/cgroup.root is the hierarchy's root cgroup/);
      expect(existsSync(join(cg, "agent"))).to.equal(false);
    });

    it("in a cgroup namespace of its own on an nsdelegate mount: unavailable, saying the kernel would refuse the moves", async () => {
      writeFileSync(files.mountInfo, `35 24 0:30 / ${cg} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n`);
      symlinkSync("cgroup:[4026532301]", join(dir.path, "own-ns"));
      symlinkSync("cgroup:[4026531835]", join(dir.path, "host-ns"));
      const namespaces = { ownCgroupNamespace: join(dir.path, "own-ns"), hostCgroupNamespace: join(dir.path, "host-ns") };
      const refused = await setupDelegation({ mountPoint: cg, ...files, root: "jobworker.slice", pid: 4242, fs: kernel, ...namespaces });
      expect((refused as { reason: string }).reason).to.match(/cgroup namespace of its own \(cgroup:\[4026532301\], pid 1 has cgroup:\[4026531835\]\) and cgroup2 is mounted with nsdelegate/);
      expect(existsSync(join(cg, "jobworker.slice"))).to.equal(false);
      // The host's namespace (a privileged container under containerd or CRI-O) is fine on the same mount.
      const hostNs = { ownCgroupNamespace: join(dir.path, "host-ns"), hostCgroupNamespace: join(dir.path, "host-ns") };
      expect(await setupDelegation({ mountPoint: cg, ...files, root: "jobworker.slice", pid: 4242, fs: kernel, ...hostNs })).to.include({ mode: "v2" });
    });

    it("a configured root the agent is in (its own, as systemd delegates it) still moves it into <root>/agent", async () => {
      await kernel.mkdir("apps.slice/jobagent.service");
      await kernel.write("apps.slice/jobagent.service", "cgroup.procs", "4242");
      const setup = await setupFor("apps.slice/jobagent.service");
      expect(setup, JSON.stringify(setup)).to.include({ mode: "v2", root: "apps.slice/jobagent.service" });
      expect(text("apps.slice/jobagent.service/agent", "cgroup.procs")).to.equal("4242\n");
      expect(text("apps.slice/jobagent.service", "cgroup.procs")).to.equal("");
    });
  });

  it("on this host's real /sys/fs/cgroup: a definite answer, never a crash", async () => {
    const setup = await setupDelegation({ root: "jobworker-probe-never-created-" + process.pid });
    expect(setup.mode).to.be.oneOf(["v2", "unavailable"]);
  });
});
