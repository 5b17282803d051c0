// A full state disk (a 2 MiB tmpfs): no job is killed or blocked, lost output
// is counted and explained, Start says RESOURCE_EXHAUSTED, and an agent still
// starts on the full disk and serves what it has.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JobManager, type JobManagerOptions } from "../../../agent/jobs/manager.js";
import { isAlive, killLeftoverJobs } from "../../helpers/proc.js";
import { collect, tempDir } from "../../helpers/tmp.js";

describe("a full state disk (2 MiB tmpfs)", function () {
  let mount: ReturnType<typeof tempDir>;
  let manager: JobManager | undefined;
  before(function () {
    if (process.getuid?.() !== 0) this.skip(); // mounting a tmpfs needs root
    mount = tempDir();
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", mount.path]);
  });
  after(async () => {
    await manager?.shutdown(0);
    if (mount) {
      killLeftoverJobs(mount.path);
      execFileSync("umount", ["-l", mount.path]);
      mount.cleanup();
    }
  });

  const options: JobManagerOptions = {
    stateDir: "", defaultGracePeriodMs: 1000, outputCapBytes: 1 << 30, maxConcurrentJobs: 10,
    retention: { maxFinishedJobs: 100, maxAgeMs: 3600_000 },
  };

  it("keeps running jobs running, counts dropped output, answers Start with RESOURCE_EXHAUSTED, and restarts", async () => {
    manager = await JobManager.open({ ...options, stateDir: mount.path });
    // A job that writes a line every 50 ms until told to stop: it must live through all of this.
    const steady = await manager.start("a", "sh", ["-c", "while [ ! -e go ]; do echo tick; sleep 0.05; done; echo finished"]);
    const filler = await manager.start("a", "sh", ["-c", "head -c 8000000 /dev/zero; echo after-the-flood"]);
    const flooded = await manager.wait(filler.id);
    expect(flooded).to.include({ state: "EXITED", reason: "Completed", exitCode: 0 });
    expect(flooded.outputDroppedBytes).to.be.greaterThan(5_000_000); // 8 MB into what is left of 2 MiB
    expect(flooded.outputBytes + flooded.outputDroppedBytes).to.equal(8_000_000 + "after-the-flood\n".length);
    expect(flooded.message).to.match(/output incomplete: writing the output file failed: No space left on device/);

    const refused = await manager.start("a", "true", []).then(() => undefined, (err: Error & { code?: string }) => err);
    expect(refused?.code).to.equal("RESOURCE_EXHAUSTED");
    expect(refused?.message).to.match(/state directory is full/);
    expect(manager.status(steady.id).state).to.equal("RUNNING");
    expect(isAlive(steady.pid!)).to.equal(true);

    // A restart on the full disk: the steady job is reattached, the finished one served.
    await manager.close();
    manager = await JobManager.open({ ...options, stateDir: mount.path });
    expect(manager.status(steady.id)).to.include({ state: "RUNNING", pid: steady.pid });
    expect(manager.status(filler.id)).to.include({ state: "EXITED", outputDroppedBytes: flooded.outputDroppedBytes });
    expect((await collect(manager.output(filler.id, { follow: false }))).length).to.equal(flooded.outputBytes);

    // Its end is still recorded: the monitor reserved the exit file's space when the job started.
    writeFileSync(join(mount.path, "jobs", steady.id, "work", "go"), "");
    expect(await manager.wait(steady.id)).to.include({ state: "EXITED", reason: "Completed", exitCode: 0 });
    expect(existsSync(join(mount.path, "jobs", steady.id, "job.json.tmp"))).to.equal(false);
  });
});
