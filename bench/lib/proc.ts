// Processes: run to exit, time to exit, peak RSS from /proc.
import { spawn, type SpawnOptions } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { msSince, now } from "./stats.js";

/** Runs a command to exit 0 (stdout/stderr ignored unless options say otherwise); resolves with its wall time in ms. */
export function runTimed(command: string, args: string[], options: SpawnOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const began = now();
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"], ...options });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      const ms = msSince(began);
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} ${args.join(" ")} ended with ${signal ?? `exit code ${code}`}: ${stderr.trim()}`));
    });
  });
}

/** Runs a command to exit 0 and resolves with its stdout. */
export function output(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(" ")}: exit ${code}: ${err.trim()}`))));
  });
}

/** A /proc/PID/status field in kB (VmRSS, VmHWM). */
function statusKb(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "latin1"));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

/**
 * Peak-RSS meter for another process: VmHWM, reset first through clear_refs ("5",
 * Linux >= 4.0) so the peak is this measurement's, not the process's lifetime's. Where
 * the reset is refused it falls back to sampling VmRSS every 20 ms.
 */
export class PeakRss {
  private sampled = 0;
  private timer?: NodeJS.Timeout;
  private resetWorked = false;

  constructor(private readonly pid: number) {}

  start(): void {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, "5");
      this.resetWorked = true;
    } catch {
      this.resetWorked = false;
    }
    this.sampled = statusKb(this.pid, "VmRSS");
    this.timer = setInterval(() => {
      try {
        this.sampled = Math.max(this.sampled, statusKb(this.pid, "VmRSS"));
      } catch {
        /* gone */
      }
    }, 20);
  }

  /** Peak RSS in MiB since start(). */
  stop(): number {
    clearInterval(this.timer);
    const kb = this.resetWorked ? Math.max(statusKb(this.pid, "VmHWM"), this.sampled) : this.sampled;
    return kb / 1024;
  }
}
