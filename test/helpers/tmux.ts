// A command on a real pseudo-terminal, driven like a person at a keyboard:
// tmux runs it in a detached session on a private server (its own socket, so
// nothing else's sessions are touched), keys go in with send-keys, and the
// screen comes back with capture-pane. Needs the tmux binary (apt: tmux).
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep, tempDir } from "./tmp.js";

export function hasTmux(): boolean {
  return spawnSync("tmux", ["-V"]).status === 0;
}

let sessions = 0;

export class TmuxSession {
  private constructor(
    private readonly socket: string,
    private readonly dir: { path: string; cleanup: () => void },
  ) {}

  /** Runs `script` (bash) in a new 200x50 terminal. */
  static start(script: string): TmuxSession {
    const dir = tempDir("jobworker-tmux-");
    const file = join(dir.path, "script.sh");
    writeFileSync(file, script);
    const session = new TmuxSession(`jobworker-test-${process.pid}-${++sessions}`, dir);
    session.tmux("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", "200", "-y", "50", `bash ${file}`);
    return session;
  }

  private tmux(...args: string[]): string {
    return execFileSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8" });
  }

  /** The visible screen, trailing blank lines dropped. */
  screen(): string {
    return this.tmux("capture-pane", "-p", "-t", "main").trimEnd();
  }

  /** Key names as tmux knows them (C-c, Enter). */
  keys(...keys: string[]): void {
    this.tmux("send-keys", "-t", "main", ...keys);
  }

  /** Text typed as is. */
  type(text: string): void {
    this.tmux("send-keys", "-t", "main", "-l", "--", text); // "--": text may start with "-" (random passwords do)
  }

  /** Waits until the screen matches; returns the match. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.screen().match(pattern);
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`screen never matched ${pattern}; it shows:\n${this.screen()}`);
      await sleep(50);
    }
  }

  /** Ends the session's private tmux server (and what runs in it). */
  close(): void {
    spawnSync("tmux", ["-L", this.socket, "kill-server"]);
    this.dir.cleanup();
  }
}
