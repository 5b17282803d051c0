// Learning that a monitor has died, without polling: one jobworker-pidwatch
// helper (agent/shim/jobworker-pidwatch.c) for the whole agent holds a pidfd
// per monitor and prints a line when one is gone. Monitors are not the agent's
// children (they double-fork, and after a restart they were never this agent's),
// so Node itself would never hear of their end.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const DEFAULT_PIDWATCH_PATH = fileURLToPath(new URL("../../bin/jobworker-pidwatch", import.meta.url));

export class MonitorWatch {
  private child?: ChildProcessByStdio<Writable, Readable, null>;
  private readonly waiting = new Map<string, () => void>();

  constructor(private readonly helperPath = DEFAULT_PIDWATCH_PATH) {}

  /** Resolves once the process (pid with that start time) is gone; at once if it already is. */
  gone(pid: number, startTicks: string): Promise<void> {
    const key = `${pid} ${startTicks}`;
    return new Promise((resolve) => {
      const previous = this.waiting.get(key);
      this.waiting.set(key, () => {
        previous?.();
        resolve();
      });
      this.helper().stdin.write(`${key}\n`);
    });
  }

  /** Stops the helper; pending waits never resolve (the agent is going away). */
  close(): void {
    this.child?.stdin.end();
    this.child?.kill();
    this.child = undefined;
    this.waiting.clear();
  }

  private helper(): ChildProcessByStdio<Writable, Readable, null> {
    if (this.child) return this.child;
    const child = spawn(this.helperPath, [], { stdio: ["pipe", "pipe", "inherit"] });
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    createInterface({ input: child.stdout }).on("line", (line) => {
      const done = this.waiting.get(line.trim());
      this.waiting.delete(line.trim());
      done?.();
    });
    child.once("exit", () => {
      if (this.child !== child) return;
      // The helper died under us: start another and hand it every pending watch.
      this.child = undefined;
      const pending = [...this.waiting.keys()];
      if (pending.length > 0) for (const key of pending) this.helper().stdin.write(`${key}\n`);
    });
    child.stdin.on("error", () => {}); // EPIPE if it died: its exit handler re-registers
    this.child = child;
    return child;
  }
}
