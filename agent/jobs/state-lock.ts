// One agent per state directory: an exclusive flock(2) on <stateDir>/agent.lock,
// taken before any job is touched. Node has no flock, so jobworker-lock
// (agent/shim/jobworker-lock.c) locks the descriptor this process shares with
// it; the lock stays with that descriptor, is released by the kernel whenever
// this process ends, however it ends, and never goes stale.
import { spawn } from "node:child_process";
import { open, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FailedPreconditionError } from "../errors.js";

export const DEFAULT_LOCK_HELPER_PATH = fileURLToPath(new URL("../../bin/jobworker-lock", import.meta.url));

export class StateLock {
  private constructor(private file: FileHandle | undefined) {}

  /** Takes the lock, or throws FailedPreconditionError naming the agent that holds it. */
  static async acquire(stateDir: string, helperPath = DEFAULT_LOCK_HELPER_PATH): Promise<StateLock> {
    const path = join(stateDir, "agent.lock");
    const file = await open(path, "a+", 0o600);
    try {
      const code = await runHelper(helperPath, file.fd);
      if (code === 1) {
        const holder = (await file.readFile("utf8")).trim();
        throw new FailedPreconditionError(
          `another jobagent${holder ? ` (pid ${holder})` : ""} is using the state directory ${stateDir}: one agent per state directory`,
        );
      }
      if (code !== 0) throw new Error(`locking ${path} failed (jobworker-lock exited ${code})`);
      // Who holds it, for the error above; best effort (an agent must start on a full disk).
      await file.truncate(0).then(() => file.write(`${process.pid}\n`, 0)).catch(() => {});
      return new StateLock(file);
    } catch (err) {
      await file.close();
      throw err;
    }
  }

  /** Releases the lock (the process ending does the same). */
  async release(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }
}

function runHelper(helperPath: string, fd: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(helperPath, [], { stdio: ["ignore", "ignore", "inherit", fd] });
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 2)));
  });
}
