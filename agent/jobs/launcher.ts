// Starting monitors without forking the agent: one jobworker-launcher helper
// (agent/shim/jobworker-launcher.c) for the whole agent forks and execs each
// monitor and relays what the monitor writes to its fd 3 (the report). Node's
// spawn() forks the agent itself, and the kernel's copy of its page tables
// blocks the event loop for longer the larger the agent is (3.5 ms a spawn at
// 52 MiB RSS, 27 ms at 151 MiB, loaded 2-core machine); the helper's fork is
// of a process of a few hundred KiB.
//
// If the helper cannot be started (or keeps dying), launches fall back to
// spawn(), which gives the monitor the same descriptors, session and
// environment. If it dies with launches under way, their outcome is unknown
// (LaunchOutcomeUnknownError): startMonitor then reads it from the job's
// directory.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";

export const DEFAULT_LAUNCHER_PATH = fileURLToPath(new URL("../../bin/jobworker-launcher", import.meta.url));

const BROKEN_COOLDOWN_MS = 30_000;

/**
 * The helper died with this launch under way: the monitor may or may not be
 * running (it would go on without the helper, its report unread). The caller
 * finds out from what the monitor leaves on disk.
 */
export class LaunchOutcomeUnknownError extends Error {}

interface Waiter {
  launch: [path: string, args: string[], env: Record<string, string>];
  resolve: (report: string) => void;
  reject: (err: Error) => void;
}

export class Launcher {
  private child?: ChildProcessByStdio<Writable, Readable, null>;
  private brokenUntil = 0;
  private restarts = 0;
  private nextId = 0;
  private readonly waiting = new Map<string, Waiter>();
  private received: Buffer = Buffer.alloc(0);

  constructor(private readonly helperPath = DEFAULT_LAUNCHER_PATH) {}

  /**
   * Runs path with args and env in a new session, cwd /, /dev/null on 0-2 and
   * a pipe on fd 3; resolves with everything written to that pipe until it
   * closed. Rejects if path could not be executed ("spawn PATH: REASON").
   */
  run(path: string, args: string[], env: Record<string, string>): Promise<string> {
    const helper = this.helper();
    if (!helper) return spawnDirectly(path, args, env);
    const id = String(++this.nextId);
    const entries = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const fields = [id, String(args.length + 1), path, ...args, String(entries.length), ...entries];
    const body = Buffer.from(fields.join("\0") + "\0");
    const header = Buffer.alloc(4);
    header.writeUInt32LE(body.length);
    return new Promise<string>((resolve, reject) => {
      this.waiting.set(id, { launch: [path, args, env], resolve, reject });
      this.holdWhileWaiting();
      helper.stdin.write(Buffer.concat([header, body]));
    }).then((text) => {
      const spawnError = /^spawn_error=(.*)\n?$/.exec(text);
      if (spawnError) throw new Error(`spawn ${path}: ${spawnError[1]}`);
      return text;
    });
  }

  /** Stops the helper (the agent is going away); monitors it started go on. */
  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  /** An idle helper does not keep the agent's process alive; one with launches under way does, as spawn() would. */
  private holdWhileWaiting(): void {
    const stdout = this.child?.stdout as unknown as { ref?: () => void; unref?: () => void } | undefined;
    if (this.waiting.size > 0) stdout?.ref?.();
    else stdout?.unref?.();
  }

  private helper(): ChildProcessByStdio<Writable, Readable, null> | undefined {
    if (this.child) return this.child;
    if (Date.now() < this.brokenUntil) return undefined;
    let child: ChildProcessByStdio<Writable, Readable, null>;
    try {
      child = spawn(this.helperPath, [], { stdio: ["pipe", "pipe", "inherit"] });
    } catch {
      this.brokenUntil = Date.now() + BROKEN_COOLDOWN_MS;
      return undefined;
    }
    child.unref(); // its stdout keeps the agent alive only while launches wait (holdWhileWaiting)
    child.stdout.on("data", (chunk: Buffer) => this.receive(chunk));
    child.stdin.on("error", () => {}); // EPIPE if it died: its stdout's close settles what was pending
    const gone = (why: string, neverRan: boolean) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.received = Buffer.alloc(0);
      if (++this.restarts > 5) {
        this.restarts = 0;
        this.brokenUntil = Date.now() + BROKEN_COOLDOWN_MS;
      }
      for (const [id, waiter] of this.waiting) {
        this.waiting.delete(id);
        // A helper that never ran launched nothing: those go the other way. One that died may have
        // started some of the monitors it had under way, their reports unread: the outcome is unknown.
        if (neverRan) spawnDirectly(...waiter.launch).then(waiter.resolve, waiter.reject);
        else waiter.reject(new LaunchOutcomeUnknownError(`the monitor launcher ${why} before the monitor reported`));
      }
    };
    child.once("error", (err) => {
      this.brokenUntil = Date.now() + BROKEN_COOLDOWN_MS; // not startable (missing binary): spawn directly for a while
      gone(`could not run (${err.message})`, child.pid === undefined);
    });
    // On stdout's close, not the exit: the answers it wrote before it died are read first.
    child.stdout.once("close", () => gone(`exited (${child.signalCode ?? child.exitCode ?? "stdout closed"})`, false));
    this.child = child;
    return child;
  }

  /** Answers are "u32le length, ID\0TEXT". */
  private receive(chunk: Buffer): void {
    this.received = this.received.length ? Buffer.concat([this.received, chunk]) : chunk;
    while (this.received.length >= 4) {
      const length = this.received.readUInt32LE(0);
      if (this.received.length < 4 + length) return;
      const frame = this.received.subarray(4, 4 + length);
      this.received = this.received.subarray(4 + length);
      const nul = frame.indexOf(0);
      const id = frame.subarray(0, nul).toString();
      const waiter = this.waiting.get(id);
      this.waiting.delete(id);
      waiter?.resolve(frame.subarray(nul + 1).toString("utf8"));
    }
    this.holdWhileWaiting();
  }
}

/** The fallback: what the launcher does, with Node's spawn (a fork of the agent). */
export function spawnDirectly(path: string, args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(path, args, {
    detached: true, // its own session from the first instruction
    stdio: ["ignore", "ignore", "ignore", "pipe"],
    env,
    cwd: "/",
  });
  child.unref();
  const report = child.stdio[3] as Readable;
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    child.once("error", (err) => reject(new Error(`spawn ${path}: ${err.message}`)));
    report.on("data", (chunk: Buffer) => parts.push(chunk));
    report.once("error", reject);
    report.once("close", () => resolve(Buffer.concat(parts).toString("utf8")));
  });
}
