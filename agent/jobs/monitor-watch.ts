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

export type WatchOutcome = "gone" | "unwatchable";

const BROKEN_COOLDOWN_MS = 30_000;

export class MonitorWatch {
  private broken?: Error;
  private brokenUntil = 0;
  private restarts = 0;
  private child?: ChildProcessByStdio<Writable, Readable, null>;
  private readonly waiting = new Map<string, (outcome: WatchOutcome) => void>();

  constructor(private readonly helperPath = DEFAULT_PIDWATCH_PATH) {}

  /**
   * Resolves "gone" once the process (pid with that start time) is gone, at once
   * if it already is; "unwatchable" if the helper cannot hold a pidfd for it
   * (out of descriptors...): the caller must then find out another way.
   */
  gone(pid: number, startTicks: string): Promise<WatchOutcome> {
    const key = `${pid} ${startTicks}`;
    return new Promise((resolve) => {
      const previous = this.waiting.get(key);
      this.waiting.set(key, (outcome) => {
        previous?.(outcome);
        resolve(outcome);
      });
      const helper = this.helper();
      if (helper) helper.stdin.write(`${key}\n`);
      else this.settle(key, "unwatchable");
    });
  }

  /** Stops the helper; pending waits never resolve (the agent is going away). */
  close(): void {
    this.child?.stdin.end();
    this.child?.kill();
    this.child = undefined;
    this.waiting.clear();
  }

  /** For a while (a transient EAGAIN or EMFILE may pass), watches fall back to the callers' own checks. */
  private markBroken(err: Error): void {
    this.broken = err;
    this.brokenUntil = Date.now() + BROKEN_COOLDOWN_MS;
  }

  private settle(key: string, outcome: WatchOutcome): void {
    const done = this.waiting.get(key);
    this.waiting.delete(key);
    done?.(outcome);
  }

  private helper(): ChildProcessByStdio<Writable, Readable, null> | undefined {
    if (this.child) return this.child;
    if (this.broken && Date.now() < this.brokenUntil) return undefined;
    this.broken = undefined;
    let child: ChildProcessByStdio<Writable, Readable, null>;
    try {
      child = spawn(this.helperPath, [], { stdio: ["pipe", "pipe", "inherit"] });
      if (!child.stdin || !child.stdout) throw new Error("no pipes to jobworker-pidwatch (out of descriptors?)");
    } catch (err) {
      this.markBroken(err as Error);
      return undefined;
    }
    child.once("error", (err) => {
      // Not startable (missing binary, EAGAIN): every watch falls back to the caller's own checks.
      if (this.child === child) this.child = undefined;
      this.markBroken(err);
      for (const key of [...this.waiting.keys()]) this.settle(key, "unwatchable");
    });
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    createInterface({ input: child.stdout }).on("line", (line) => {
      const [pid, ticks, what] = line.trim().split(" ");
      this.settle(`${pid} ${ticks}`, what === "gone" ? "gone" : "unwatchable");
    });
    child.once("exit", () => {
      if (this.child !== child) return;
      // The helper died under us: start another and hand it every pending watch (a few times, not in a loop).
      this.child = undefined;
      if (++this.restarts > 5) {
        this.restarts = 0;
        this.markBroken(new Error("jobworker-pidwatch keeps dying"));
      }
      const pending = [...this.waiting.keys()];
      for (const key of pending) {
        const next = this.helper();
        if (next) next.stdin.write(`${key}\n`);
        else this.settle(key, "unwatchable");
      }
    });
    child.stdin.on("error", () => {}); // EPIPE if it died: its exit handler re-registers
    this.child = child;
    return child;
  }
}
