// Runs the real jobagent binary (dist/agent/main.js) on 127.0.0.1 with a fresh
// state directory; on first start it generates its development PKI there,
// with clients admin (admin), alice and bob (user) and viewer (readonly).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const AGENT_MAIN = fileURLToPath(new URL("../../agent/main.js", import.meta.url));

export interface TestAgent {
  address: string;
  port: number;
  pid: number;
  stateDir: string;
  pkiDir: string;
  jobctlConfigPath: string;
  /** Every log line the agent wrote, parsed. */
  logs: Record<string, unknown>[];
  /** Sends a signal (default SIGTERM) and resolves with the exit code once the agent is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Removes the state directory (after stop). */
  cleanup(): void;
}

export interface TestAgentOptions {
  /** Reuse a state directory (e.g. to test restarts). */
  stateDir?: string;
  args?: string[];
}

export async function startTestAgent(options: TestAgentOptions = {}): Promise<TestAgent> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "jobagent-test-"));
  const jobctlConfigPath = join(stateDir, "jobctl.yaml");
  const child = spawn(
    process.execPath,
    [AGENT_MAIN, "--listen", "127.0.0.1:0", "--state-dir", stateDir, "--jobctl-config", jobctlConfigPath, ...(options.args ?? [])],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = await waitForListening(child, logs, exited);
  return {
    address: `127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    stateDir,
    pkiDir: join(stateDir, "pki"),
    jobctlConfigPath,
    logs,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    cleanup: () => rmSync(stateDir, { recursive: true, force: true }),
  };
}

function waitForListening(child: ChildProcess, logs: Record<string, unknown>[], exited: Promise<number | null>): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("agent did not start listening within 30 s")), 30_000);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        entry = { msg: line };
      }
      logs.push(entry);
      if (entry.msg === "agent listening") {
        clearTimeout(timer);
        resolve(entry.port as number);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before listening`));
    });
  });
}
